# muonlab figure convergence: data in convergence.dat, one index block per series.
# Re-render from this directory: gnuplot convergence.gp
if (!exists('datafile')) datafile = 'convergence.dat'
if (!exists('out_png')) out_png = 'convergence.png'
if (!exists('out_svg')) out_svg = 'convergence.svg'

set encoding utf8
set border 3 back lw 1 lc rgb '#404040'
set tics nomirror out scale 0.75
set style line 100 lc rgb '#dddddd' lw 1 dt 1    # grid
set style fill transparent solid 0.22 noborder   # bands
set linetype 1 lc rgb '#1f77b4' lw 2 dt 1 pt 7 ps 1
set linetype 2 lc rgb '#ff7f0e' lw 2 dt 1 pt 5 ps 1
set linetype 3 lc rgb '#2ca02c' lw 2 dt 1 pt 9 ps 1
set linetype 4 lc rgb '#d62728' lw 2 dt 1 pt 11 ps 1
set linetype 5 lc rgb '#9467bd' lw 2 dt 1 pt 13 ps 1
set linetype 6 lc rgb '#8c564b' lw 2 dt 1 pt 6 ps 1
set linetype 7 lc rgb '#e377c2' lw 2 dt 1 pt 4 ps 1
set linetype 8 lc rgb '#7f7f7f' lw 2 dt 1 pt 8 ps 1
set linetype 9 lc rgb '#1f77b4' lw 2 dt 2 pt 7 ps 1
set linetype 10 lc rgb '#ff7f0e' lw 2 dt 2 pt 5 ps 1
set linetype 11 lc rgb '#2ca02c' lw 2 dt 2 pt 9 ps 1
set linetype 12 lc rgb '#d62728' lw 2 dt 2 pt 11 ps 1
set linetype 13 lc rgb '#9467bd' lw 2 dt 2 pt 13 ps 1
set linetype 14 lc rgb '#8c564b' lw 2 dt 2 pt 6 ps 1
set linetype 15 lc rgb '#e377c2' lw 2 dt 2 pt 4 ps 1
set linetype 16 lc rgb '#7f7f7f' lw 2 dt 2 pt 8 ps 1
set linetype cycle 16

set terminal pngcairo size 1500,1580 font 'sans,11' enhanced
set output out_png
set multiplot title 'Convergence at the best learning rate, mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.05337; set rmargin at screen 0.48133
set bmargin at screen 0.77767; set tmargin at screen 0.94778
set title 'least squares, cond(A) = 1e3: vs steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'f - f*' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 notitle with lines lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 notitle with lines lt 2, \
     datafile index 4 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 5 using 1:2 notitle with lines lt 3, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 7 using 1:2 notitle with lines lt 4, \
     datafile index 8 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 9 using 1:2 notitle with lines lt 5, \
     datafile index 10 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 11 using 1:2 notitle with lines lt 6, \
     datafile index 12 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 13 using 1:2 notitle with lines lt 7, \
     datafile index 14 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 15 using 1:2 notitle with lines lt 8, \
     datafile index 16 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 17 using 1:2 notitle with lines lt 9, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 19 using 1:2 notitle with lines lt 10, \
     datafile index 20 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 21 using 1:2 notitle with lines lt 11, \
     datafile index 22 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 23 using 1:2 notitle with lines lt 12
# panel 2
set lmargin at screen 0.55337; set rmargin at screen 0.98133
set bmargin at screen 0.77767; set tmargin at screen 0.94778
set title 'least squares, cond(A) = 1e3: vs wall time' noenhanced font ',13'
set xlabel 'training time (s)' noenhanced
set ylabel 'f - f*' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 24 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 25 using 1:2 notitle with lines lt 1, \
     datafile index 26 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 27 using 1:2 notitle with lines lt 2, \
     datafile index 28 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 29 using 1:2 notitle with lines lt 3, \
     datafile index 30 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 31 using 1:2 notitle with lines lt 4, \
     datafile index 32 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 33 using 1:2 notitle with lines lt 5, \
     datafile index 34 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 35 using 1:2 notitle with lines lt 6, \
     datafile index 36 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 37 using 1:2 notitle with lines lt 7, \
     datafile index 38 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 39 using 1:2 notitle with lines lt 8, \
     datafile index 40 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 41 using 1:2 notitle with lines lt 9, \
     datafile index 42 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 43 using 1:2 notitle with lines lt 10, \
     datafile index 44 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 45 using 1:2 notitle with lines lt 11, \
     datafile index 46 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 47 using 1:2 notitle with lines lt 12
# panel 3
set lmargin at screen 0.05337; set rmargin at screen 0.48133
set bmargin at screen 0.54282; set tmargin at screen 0.71293
set title 'matrix factorisation, rank 4, k = 8: vs steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel '1/2 ||UV^T - M*||^2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 48 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 49 using 1:2 notitle with lines lt 1, \
     datafile index 50 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 51 using 1:2 notitle with lines lt 2, \
     datafile index 52 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 53 using 1:2 notitle with lines lt 3, \
     datafile index 54 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 55 using 1:2 notitle with lines lt 4, \
     datafile index 56 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 57 using 1:2 notitle with lines lt 5, \
     datafile index 58 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 59 using 1:2 notitle with lines lt 6, \
     datafile index 60 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 61 using 1:2 notitle with lines lt 7, \
     datafile index 62 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 63 using 1:2 notitle with lines lt 8, \
     datafile index 64 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 65 using 1:2 notitle with lines lt 9, \
     datafile index 66 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 67 using 1:2 notitle with lines lt 10, \
     datafile index 68 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 69 using 1:2 notitle with lines lt 11, \
     datafile index 70 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 71 using 1:2 notitle with lines lt 12
# panel 4
set lmargin at screen 0.55337; set rmargin at screen 0.98133
set bmargin at screen 0.54282; set tmargin at screen 0.71293
set title 'matrix factorisation, rank 4, k = 8: vs wall time' noenhanced font ',13'
set xlabel 'training time (s)' noenhanced
set ylabel '1/2 ||UV^T - M*||^2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 72 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 73 using 1:2 notitle with lines lt 1, \
     datafile index 74 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 75 using 1:2 notitle with lines lt 2, \
     datafile index 76 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 77 using 1:2 notitle with lines lt 3, \
     datafile index 78 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 79 using 1:2 notitle with lines lt 4, \
     datafile index 80 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 81 using 1:2 notitle with lines lt 5, \
     datafile index 82 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 83 using 1:2 notitle with lines lt 6, \
     datafile index 84 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 85 using 1:2 notitle with lines lt 7, \
     datafile index 86 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 87 using 1:2 notitle with lines lt 8, \
     datafile index 88 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 89 using 1:2 notitle with lines lt 9, \
     datafile index 90 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 91 using 1:2 notitle with lines lt 10, \
     datafile index 92 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 93 using 1:2 notitle with lines lt 11, \
     datafile index 94 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 95 using 1:2 notitle with lines lt 12
# panel 5
set lmargin at screen 0.05337; set rmargin at screen 0.48133
set bmargin at screen 0.30796; set tmargin at screen 0.47807
set title 'MLP on Fashion-MNIST: vs steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'training loss' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 96 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 97 using 1:2 notitle with lines lt 1, \
     datafile index 98 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 99 using 1:2 notitle with lines lt 2, \
     datafile index 100 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 101 using 1:2 notitle with lines lt 3, \
     datafile index 102 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 103 using 1:2 notitle with lines lt 4, \
     datafile index 104 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 105 using 1:2 notitle with lines lt 5, \
     datafile index 106 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 107 using 1:2 notitle with lines lt 6, \
     datafile index 108 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 109 using 1:2 notitle with lines lt 7, \
     datafile index 110 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 111 using 1:2 notitle with lines lt 8, \
     datafile index 112 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 113 using 1:2 notitle with lines lt 9, \
     datafile index 114 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 115 using 1:2 notitle with lines lt 10, \
     datafile index 116 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 117 using 1:2 notitle with lines lt 11, \
     datafile index 118 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 119 using 1:2 notitle with lines lt 12
# panel 6
set lmargin at screen 0.55337; set rmargin at screen 0.98133
set bmargin at screen 0.30796; set tmargin at screen 0.47807
set title 'MLP on Fashion-MNIST: vs wall time' noenhanced font ',13'
set xlabel 'training time (s)' noenhanced
set ylabel 'training loss' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 120 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 121 using 1:2 notitle with lines lt 1, \
     datafile index 122 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 123 using 1:2 notitle with lines lt 2, \
     datafile index 124 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 125 using 1:2 notitle with lines lt 3, \
     datafile index 126 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 127 using 1:2 notitle with lines lt 4, \
     datafile index 128 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 129 using 1:2 notitle with lines lt 5, \
     datafile index 130 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 131 using 1:2 notitle with lines lt 6, \
     datafile index 132 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 133 using 1:2 notitle with lines lt 7, \
     datafile index 134 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 135 using 1:2 notitle with lines lt 8, \
     datafile index 136 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 137 using 1:2 notitle with lines lt 9, \
     datafile index 138 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 139 using 1:2 notitle with lines lt 10, \
     datafile index 140 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 141 using 1:2 notitle with lines lt 11, \
     datafile index 142 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 143 using 1:2 notitle with lines lt 12
# panel 7
set lmargin at screen 0.05337; set rmargin at screen 0.48133
set bmargin at screen 0.07310; set tmargin at screen 0.24321
set title 'char-level MLP LM on fortunes: vs steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'validation loss (nats/char)' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 144 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 145 using 1:2 notitle with lines lt 1, \
     datafile index 146 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 147 using 1:2 notitle with lines lt 2, \
     datafile index 148 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 149 using 1:2 notitle with lines lt 3, \
     datafile index 150 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 151 using 1:2 notitle with lines lt 4, \
     datafile index 152 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 153 using 1:2 notitle with lines lt 5, \
     datafile index 154 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 155 using 1:2 notitle with lines lt 6, \
     datafile index 156 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 157 using 1:2 notitle with lines lt 7, \
     datafile index 158 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 159 using 1:2 notitle with lines lt 8, \
     datafile index 160 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 161 using 1:2 notitle with lines lt 9, \
     datafile index 162 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 163 using 1:2 notitle with lines lt 10, \
     datafile index 164 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 165 using 1:2 notitle with lines lt 11, \
     datafile index 166 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 167 using 1:2 notitle with lines lt 12
# panel 8
set lmargin at screen 0.55337; set rmargin at screen 0.98133
set bmargin at screen 0.07310; set tmargin at screen 0.24321
set title 'char-level MLP LM on fortunes: vs wall time' noenhanced font ',13'
set xlabel 'training time (s)' noenhanced
set ylabel 'validation loss (nats/char)' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 168 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 169 using 1:2 notitle with lines lt 1, \
     datafile index 170 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 171 using 1:2 notitle with lines lt 2, \
     datafile index 172 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 173 using 1:2 notitle with lines lt 3, \
     datafile index 174 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 175 using 1:2 notitle with lines lt 4, \
     datafile index 176 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 177 using 1:2 notitle with lines lt 5, \
     datafile index 178 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 179 using 1:2 notitle with lines lt 6, \
     datafile index 180 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 181 using 1:2 notitle with lines lt 7, \
     datafile index 182 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 183 using 1:2 notitle with lines lt 8, \
     datafile index 184 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 185 using 1:2 notitle with lines lt 9, \
     datafile index 186 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 187 using 1:2 notitle with lines lt 10, \
     datafile index 188 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 189 using 1:2 notitle with lines lt 11, \
     datafile index 190 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 191 using 1:2 notitle with lines lt 12
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.03551
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 8 maxrows 2
plot NaN notitle, keyentry with lines lt 1 title 'SGD (Nesterov 0.9)' noenhanced, \
     keyentry with lines lt 2 title 'AdamW' noenhanced, \
     keyentry with lines lt 3 title 'Muon (+AdamW)' noenhanced, \
     keyentry with lines lt 4 title 'Scion' noenhanced, \
     keyentry with lines lt 5 title 'PolarGrad' noenhanced, \
     keyentry with lines lt 6 title 'MuonMax' noenhanced, \
     keyentry with lines lt 7 title 'Muon-Momo' noenhanced, \
     keyentry with lines lt 8 title 'MuonMax-Momo' noenhanced, \
     keyentry with lines lt 9 title 'TrasMuon' noenhanced, \
     keyentry with lines lt 10 title 'NorMuon' noenhanced, \
     keyentry with lines lt 11 title 'AdaGO' noenhanced, \
     keyentry with lines lt 12 title 'U S^1/2 V^T (Adam)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output

set terminal svg size 1500,1580 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title 'Convergence at the best learning rate, mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.05337; set rmargin at screen 0.48133
set bmargin at screen 0.77767; set tmargin at screen 0.94778
set title 'least squares, cond(A) = 1e3: vs steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'f - f*' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 notitle with lines lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 notitle with lines lt 2, \
     datafile index 4 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 5 using 1:2 notitle with lines lt 3, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 7 using 1:2 notitle with lines lt 4, \
     datafile index 8 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 9 using 1:2 notitle with lines lt 5, \
     datafile index 10 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 11 using 1:2 notitle with lines lt 6, \
     datafile index 12 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 13 using 1:2 notitle with lines lt 7, \
     datafile index 14 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 15 using 1:2 notitle with lines lt 8, \
     datafile index 16 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 17 using 1:2 notitle with lines lt 9, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 19 using 1:2 notitle with lines lt 10, \
     datafile index 20 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 21 using 1:2 notitle with lines lt 11, \
     datafile index 22 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 23 using 1:2 notitle with lines lt 12
# panel 2
set lmargin at screen 0.55337; set rmargin at screen 0.98133
set bmargin at screen 0.77767; set tmargin at screen 0.94778
set title 'least squares, cond(A) = 1e3: vs wall time' noenhanced font ',13'
set xlabel 'training time (s)' noenhanced
set ylabel 'f - f*' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 24 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 25 using 1:2 notitle with lines lt 1, \
     datafile index 26 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 27 using 1:2 notitle with lines lt 2, \
     datafile index 28 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 29 using 1:2 notitle with lines lt 3, \
     datafile index 30 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 31 using 1:2 notitle with lines lt 4, \
     datafile index 32 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 33 using 1:2 notitle with lines lt 5, \
     datafile index 34 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 35 using 1:2 notitle with lines lt 6, \
     datafile index 36 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 37 using 1:2 notitle with lines lt 7, \
     datafile index 38 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 39 using 1:2 notitle with lines lt 8, \
     datafile index 40 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 41 using 1:2 notitle with lines lt 9, \
     datafile index 42 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 43 using 1:2 notitle with lines lt 10, \
     datafile index 44 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 45 using 1:2 notitle with lines lt 11, \
     datafile index 46 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 47 using 1:2 notitle with lines lt 12
# panel 3
set lmargin at screen 0.05337; set rmargin at screen 0.48133
set bmargin at screen 0.54282; set tmargin at screen 0.71293
set title 'matrix factorisation, rank 4, k = 8: vs steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel '1/2 ||UV^T - M*||^2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 48 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 49 using 1:2 notitle with lines lt 1, \
     datafile index 50 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 51 using 1:2 notitle with lines lt 2, \
     datafile index 52 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 53 using 1:2 notitle with lines lt 3, \
     datafile index 54 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 55 using 1:2 notitle with lines lt 4, \
     datafile index 56 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 57 using 1:2 notitle with lines lt 5, \
     datafile index 58 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 59 using 1:2 notitle with lines lt 6, \
     datafile index 60 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 61 using 1:2 notitle with lines lt 7, \
     datafile index 62 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 63 using 1:2 notitle with lines lt 8, \
     datafile index 64 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 65 using 1:2 notitle with lines lt 9, \
     datafile index 66 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 67 using 1:2 notitle with lines lt 10, \
     datafile index 68 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 69 using 1:2 notitle with lines lt 11, \
     datafile index 70 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 71 using 1:2 notitle with lines lt 12
# panel 4
set lmargin at screen 0.55337; set rmargin at screen 0.98133
set bmargin at screen 0.54282; set tmargin at screen 0.71293
set title 'matrix factorisation, rank 4, k = 8: vs wall time' noenhanced font ',13'
set xlabel 'training time (s)' noenhanced
set ylabel '1/2 ||UV^T - M*||^2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 72 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 73 using 1:2 notitle with lines lt 1, \
     datafile index 74 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 75 using 1:2 notitle with lines lt 2, \
     datafile index 76 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 77 using 1:2 notitle with lines lt 3, \
     datafile index 78 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 79 using 1:2 notitle with lines lt 4, \
     datafile index 80 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 81 using 1:2 notitle with lines lt 5, \
     datafile index 82 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 83 using 1:2 notitle with lines lt 6, \
     datafile index 84 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 85 using 1:2 notitle with lines lt 7, \
     datafile index 86 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 87 using 1:2 notitle with lines lt 8, \
     datafile index 88 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 89 using 1:2 notitle with lines lt 9, \
     datafile index 90 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 91 using 1:2 notitle with lines lt 10, \
     datafile index 92 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 93 using 1:2 notitle with lines lt 11, \
     datafile index 94 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 95 using 1:2 notitle with lines lt 12
# panel 5
set lmargin at screen 0.05337; set rmargin at screen 0.48133
set bmargin at screen 0.30796; set tmargin at screen 0.47807
set title 'MLP on Fashion-MNIST: vs steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'training loss' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 96 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 97 using 1:2 notitle with lines lt 1, \
     datafile index 98 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 99 using 1:2 notitle with lines lt 2, \
     datafile index 100 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 101 using 1:2 notitle with lines lt 3, \
     datafile index 102 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 103 using 1:2 notitle with lines lt 4, \
     datafile index 104 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 105 using 1:2 notitle with lines lt 5, \
     datafile index 106 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 107 using 1:2 notitle with lines lt 6, \
     datafile index 108 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 109 using 1:2 notitle with lines lt 7, \
     datafile index 110 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 111 using 1:2 notitle with lines lt 8, \
     datafile index 112 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 113 using 1:2 notitle with lines lt 9, \
     datafile index 114 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 115 using 1:2 notitle with lines lt 10, \
     datafile index 116 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 117 using 1:2 notitle with lines lt 11, \
     datafile index 118 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 119 using 1:2 notitle with lines lt 12
# panel 6
set lmargin at screen 0.55337; set rmargin at screen 0.98133
set bmargin at screen 0.30796; set tmargin at screen 0.47807
set title 'MLP on Fashion-MNIST: vs wall time' noenhanced font ',13'
set xlabel 'training time (s)' noenhanced
set ylabel 'training loss' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 120 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 121 using 1:2 notitle with lines lt 1, \
     datafile index 122 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 123 using 1:2 notitle with lines lt 2, \
     datafile index 124 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 125 using 1:2 notitle with lines lt 3, \
     datafile index 126 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 127 using 1:2 notitle with lines lt 4, \
     datafile index 128 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 129 using 1:2 notitle with lines lt 5, \
     datafile index 130 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 131 using 1:2 notitle with lines lt 6, \
     datafile index 132 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 133 using 1:2 notitle with lines lt 7, \
     datafile index 134 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 135 using 1:2 notitle with lines lt 8, \
     datafile index 136 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 137 using 1:2 notitle with lines lt 9, \
     datafile index 138 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 139 using 1:2 notitle with lines lt 10, \
     datafile index 140 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 141 using 1:2 notitle with lines lt 11, \
     datafile index 142 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 143 using 1:2 notitle with lines lt 12
# panel 7
set lmargin at screen 0.05337; set rmargin at screen 0.48133
set bmargin at screen 0.07310; set tmargin at screen 0.24321
set title 'char-level MLP LM on fortunes: vs steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'validation loss (nats/char)' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 144 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 145 using 1:2 notitle with lines lt 1, \
     datafile index 146 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 147 using 1:2 notitle with lines lt 2, \
     datafile index 148 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 149 using 1:2 notitle with lines lt 3, \
     datafile index 150 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 151 using 1:2 notitle with lines lt 4, \
     datafile index 152 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 153 using 1:2 notitle with lines lt 5, \
     datafile index 154 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 155 using 1:2 notitle with lines lt 6, \
     datafile index 156 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 157 using 1:2 notitle with lines lt 7, \
     datafile index 158 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 159 using 1:2 notitle with lines lt 8, \
     datafile index 160 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 161 using 1:2 notitle with lines lt 9, \
     datafile index 162 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 163 using 1:2 notitle with lines lt 10, \
     datafile index 164 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 165 using 1:2 notitle with lines lt 11, \
     datafile index 166 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 167 using 1:2 notitle with lines lt 12
# panel 8
set lmargin at screen 0.55337; set rmargin at screen 0.98133
set bmargin at screen 0.07310; set tmargin at screen 0.24321
set title 'char-level MLP LM on fortunes: vs wall time' noenhanced font ',13'
set xlabel 'training time (s)' noenhanced
set ylabel 'validation loss (nats/char)' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 168 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 169 using 1:2 notitle with lines lt 1, \
     datafile index 170 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 171 using 1:2 notitle with lines lt 2, \
     datafile index 172 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 173 using 1:2 notitle with lines lt 3, \
     datafile index 174 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 175 using 1:2 notitle with lines lt 4, \
     datafile index 176 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 177 using 1:2 notitle with lines lt 5, \
     datafile index 178 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 179 using 1:2 notitle with lines lt 6, \
     datafile index 180 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 181 using 1:2 notitle with lines lt 7, \
     datafile index 182 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 183 using 1:2 notitle with lines lt 8, \
     datafile index 184 using 1:3:4 notitle with filledcurves lt 9, \
     datafile index 185 using 1:2 notitle with lines lt 9, \
     datafile index 186 using 1:3:4 notitle with filledcurves lt 10, \
     datafile index 187 using 1:2 notitle with lines lt 10, \
     datafile index 188 using 1:3:4 notitle with filledcurves lt 11, \
     datafile index 189 using 1:2 notitle with lines lt 11, \
     datafile index 190 using 1:3:4 notitle with filledcurves lt 12, \
     datafile index 191 using 1:2 notitle with lines lt 12
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.03551
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 8 maxrows 2
plot NaN notitle, keyentry with lines lt 1 title 'SGD (Nesterov 0.9)' noenhanced, \
     keyentry with lines lt 2 title 'AdamW' noenhanced, \
     keyentry with lines lt 3 title 'Muon (+AdamW)' noenhanced, \
     keyentry with lines lt 4 title 'Scion' noenhanced, \
     keyentry with lines lt 5 title 'PolarGrad' noenhanced, \
     keyentry with lines lt 6 title 'MuonMax' noenhanced, \
     keyentry with lines lt 7 title 'Muon-Momo' noenhanced, \
     keyentry with lines lt 8 title 'MuonMax-Momo' noenhanced, \
     keyentry with lines lt 9 title 'TrasMuon' noenhanced, \
     keyentry with lines lt 10 title 'NorMuon' noenhanced, \
     keyentry with lines lt 11 title 'AdaGO' noenhanced, \
     keyentry with lines lt 12 title 'U S^1/2 V^T (Adam)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output
