# muonlab figure lr_sensitivity: data in lr_sensitivity.dat, one index block per series.
# Re-render from this directory: gnuplot lr_sensitivity.gp
if (!exists('datafile')) datafile = 'lr_sensitivity.dat'
if (!exists('out_png')) out_png = 'lr_sensitivity.png'
if (!exists('out_svg')) out_svg = 'lr_sensitivity.svg'

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

set terminal pngcairo size 1400,520 font 'sans,11' enhanced
set output out_png
set multiplot layout 1,2 title 'Learning-rate sensitivity after 300 steps: mean and min..max over 3 seed(s); x = diverged' noenhanced font ',14'
# panel 1
set title 'char-level MLP LM, hidden 128 (fortunes)' noenhanced font ',13'
set xlabel 'learning rate (weight matrices)' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [6.666666666666667e-05:1.5]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [2.2059272121530169:149.90044408536895]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 title 'Muon' noenhanced with linespoints lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 title 'MuonMax' noenhanced with linespoints lt 2, \
     datafile index 4 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 5 using 1:2 title 'Muon-Momo' noenhanced with linespoints lt 3, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 7 using 1:2 title 'MuonMax-Momo' noenhanced with linespoints lt 4, \
     datafile index 8 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 9 using 1:2 title 'AdamW' noenhanced with linespoints lt 5, \
     datafile index 10 using 1:2 title 'diverged (NaN/Inf or 100x loss)' noenhanced with points lt 2 pt 2 ps 2.2 lw 2
# panel 2
set title 'MLP 784-128-128-10 (Fashion-MNIST)' noenhanced font ',13'
set xlabel 'learning rate (weight matrices)' noenhanced
set ylabel 'final training loss' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [6.666666666666667e-05:1.5]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [0.08692537038238568:33.400507539109341]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 11 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 12 using 1:2 title 'Muon' noenhanced with linespoints lt 1, \
     datafile index 13 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 14 using 1:2 title 'MuonMax' noenhanced with linespoints lt 2, \
     datafile index 15 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 16 using 1:2 title 'Muon-Momo' noenhanced with linespoints lt 3, \
     datafile index 17 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 18 using 1:2 title 'MuonMax-Momo' noenhanced with linespoints lt 4, \
     datafile index 19 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 20 using 1:2 title 'AdamW' noenhanced with linespoints lt 5, \
     datafile index 21 using 1:2 title 'diverged (NaN/Inf or 100x loss)' noenhanced with points lt 2 pt 2 ps 2.2 lw 2
unset multiplot
unset output

set terminal svg size 1400,520 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot layout 1,2 title 'Learning-rate sensitivity after 300 steps: mean and min..max over 3 seed(s); x = diverged' noenhanced font ',14'
# panel 1
set title 'char-level MLP LM, hidden 128 (fortunes)' noenhanced font ',13'
set xlabel 'learning rate (weight matrices)' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [6.666666666666667e-05:1.5]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [2.2059272121530169:149.90044408536895]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 title 'Muon' noenhanced with linespoints lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 title 'MuonMax' noenhanced with linespoints lt 2, \
     datafile index 4 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 5 using 1:2 title 'Muon-Momo' noenhanced with linespoints lt 3, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 7 using 1:2 title 'MuonMax-Momo' noenhanced with linespoints lt 4, \
     datafile index 8 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 9 using 1:2 title 'AdamW' noenhanced with linespoints lt 5, \
     datafile index 10 using 1:2 title 'diverged (NaN/Inf or 100x loss)' noenhanced with points lt 2 pt 2 ps 2.2 lw 2
# panel 2
set title 'MLP 784-128-128-10 (Fashion-MNIST)' noenhanced font ',13'
set xlabel 'learning rate (weight matrices)' noenhanced
set ylabel 'final training loss' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [6.666666666666667e-05:1.5]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [0.08692537038238568:33.400507539109341]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 11 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 12 using 1:2 title 'Muon' noenhanced with linespoints lt 1, \
     datafile index 13 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 14 using 1:2 title 'MuonMax' noenhanced with linespoints lt 2, \
     datafile index 15 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 16 using 1:2 title 'Muon-Momo' noenhanced with linespoints lt 3, \
     datafile index 17 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 18 using 1:2 title 'MuonMax-Momo' noenhanced with linespoints lt 4, \
     datafile index 19 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 20 using 1:2 title 'AdamW' noenhanced with linespoints lt 5, \
     datafile index 21 using 1:2 title 'diverged (NaN/Inf or 100x loss)' noenhanced with points lt 2 pt 2 ps 2.2 lw 2
unset multiplot
unset output
