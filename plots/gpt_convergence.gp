# muonlab figure gpt_convergence: data in gpt_convergence.dat, one index block per series.
# Re-render from this directory: gnuplot gpt_convergence.gp
if (!exists('datafile')) datafile = 'gpt_convergence.dat'
if (!exists('out_png')) out_png = 'gpt_convergence.png'
if (!exists('out_svg')) out_svg = 'gpt_convergence.svg'

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

set terminal pngcairo size 1500,520 font 'sans,11' enhanced
set output out_png
set multiplot title 'GPT L=2 C=128 on fortunes, 500 steps: validation loss at the best rate, mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.05220; set rmargin at screen 0.48367
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'vs steps' noenhanced font ',13'
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
     datafile index 15 using 1:2 notitle with lines lt 8
# panel 2
set lmargin at screen 0.55220; set rmargin at screen 0.98367
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'vs training time' noenhanced font ',13'
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
plot datafile index 16 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 17 using 1:2 notitle with lines lt 1, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 19 using 1:2 notitle with lines lt 2, \
     datafile index 20 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 21 using 1:2 notitle with lines lt 3, \
     datafile index 22 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 23 using 1:2 notitle with lines lt 4, \
     datafile index 24 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 25 using 1:2 notitle with lines lt 5, \
     datafile index 26 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 27 using 1:2 notitle with lines lt 6, \
     datafile index 28 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 29 using 1:2 notitle with lines lt 7, \
     datafile index 30 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 31 using 1:2 notitle with lines lt 8
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.07298
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 8 maxrows 1
plot NaN notitle, keyentry with lines lt 1 title 'AdamW' noenhanced, \
     keyentry with lines lt 2 title 'Muon (+AdamW)' noenhanced, \
     keyentry with lines lt 3 title 'MuonClip (+AdamW)' noenhanced, \
     keyentry with lines lt 4 title 'TrasMuon (+AdamW)' noenhanced, \
     keyentry with lines lt 5 title 'NorMuon (+AdamW)' noenhanced, \
     keyentry with lines lt 6 title 'AdaGO (+AdamW)' noenhanced, \
     keyentry with lines lt 7 title 'MuonMax-Momo' noenhanced, \
     keyentry with lines lt 8 title 'U S^1/2 V^T (Adam)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output

set terminal svg size 1500,520 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title 'GPT L=2 C=128 on fortunes, 500 steps: validation loss at the best rate, mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.05220; set rmargin at screen 0.48367
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'vs steps' noenhanced font ',13'
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
     datafile index 15 using 1:2 notitle with lines lt 8
# panel 2
set lmargin at screen 0.55220; set rmargin at screen 0.98367
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'vs training time' noenhanced font ',13'
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
plot datafile index 16 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 17 using 1:2 notitle with lines lt 1, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 19 using 1:2 notitle with lines lt 2, \
     datafile index 20 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 21 using 1:2 notitle with lines lt 3, \
     datafile index 22 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 23 using 1:2 notitle with lines lt 4, \
     datafile index 24 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 25 using 1:2 notitle with lines lt 5, \
     datafile index 26 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 27 using 1:2 notitle with lines lt 6, \
     datafile index 28 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 29 using 1:2 notitle with lines lt 7, \
     datafile index 30 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 31 using 1:2 notitle with lines lt 8
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.07298
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 8 maxrows 1
plot NaN notitle, keyentry with lines lt 1 title 'AdamW' noenhanced, \
     keyentry with lines lt 2 title 'Muon (+AdamW)' noenhanced, \
     keyentry with lines lt 3 title 'MuonClip (+AdamW)' noenhanced, \
     keyentry with lines lt 4 title 'TrasMuon (+AdamW)' noenhanced, \
     keyentry with lines lt 5 title 'NorMuon (+AdamW)' noenhanced, \
     keyentry with lines lt 6 title 'AdaGO (+AdamW)' noenhanced, \
     keyentry with lines lt 7 title 'MuonMax-Momo' noenhanced, \
     keyentry with lines lt 8 title 'U S^1/2 V^T (Adam)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output
