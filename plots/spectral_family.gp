# muonlab figure spectral_family: data in spectral_family.dat, one index block per series.
# Re-render from this directory: gnuplot spectral_family.gp
if (!exists('datafile')) datafile = 'spectral_family.dat'
if (!exists('out_png')) out_png = 'spectral_family.png'
if (!exists('out_svg')) out_svg = 'spectral_family.svg'

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

set terminal pngcairo size 1400,1000 font 'sans,11' enhanced
set output out_png
set multiplot layout 2,2 title 'Spectral family U S^p V^T, best rate per cell, mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set title 'MLP 784-128-128-10 (Fashion-MNIST): final loss vs p' noenhanced font ',13'
set xlabel 'p in U S^p V^T' noenhanced
set ylabel 'final training loss' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [-0.050000000000000003:1.05]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 title 'first moment (momentum)' noenhanced with linespoints lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 title 'RMS-normalised (Adam)' noenhanced with linespoints lt 2
# panel 2
set title 'char-level MLP LM, hidden 128 (fortunes): final loss vs p' noenhanced font ',13'
set xlabel 'p in U S^p V^T' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [-0.050000000000000003:1.05]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 4 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 5 using 1:2 title 'first moment (momentum)' noenhanced with linespoints lt 1, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 7 using 1:2 title 'RMS-normalised (Adam)' noenhanced with linespoints lt 2
# panel 3
set title 'MLP 784-128-128-10 (Fashion-MNIST): mean curves' noenhanced font ',13'
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
set key default
set key reverse Left samplen 3 spacing 1.1
set key top right
plot datafile index 8 using 1:2 title 'momentum p=0' noenhanced with lines lt 1, \
     datafile index 9 using 1:2 title 'momentum p=1/4' noenhanced with lines lt 2, \
     datafile index 10 using 1:2 title 'momentum p=1/2' noenhanced with lines lt 3, \
     datafile index 11 using 1:2 title 'momentum p=1' noenhanced with lines lt 4, \
     datafile index 12 using 1:2 title 'adam p=0' noenhanced with lines lt 9, \
     datafile index 13 using 1:2 title 'adam p=1/4' noenhanced with lines lt 10, \
     datafile index 14 using 1:2 title 'adam p=1/2' noenhanced with lines lt 11, \
     datafile index 15 using 1:2 title 'adam p=1' noenhanced with lines lt 12
# panel 4
set title 'char-level MLP LM, hidden 128 (fortunes): mean curves' noenhanced font ',13'
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
set key default
set key reverse Left samplen 3 spacing 1.1
set key top right
plot datafile index 16 using 1:2 title 'momentum p=0' noenhanced with lines lt 1, \
     datafile index 17 using 1:2 title 'momentum p=1/4' noenhanced with lines lt 2, \
     datafile index 18 using 1:2 title 'momentum p=1/2' noenhanced with lines lt 3, \
     datafile index 19 using 1:2 title 'momentum p=1' noenhanced with lines lt 4, \
     datafile index 20 using 1:2 title 'adam p=0' noenhanced with lines lt 9, \
     datafile index 21 using 1:2 title 'adam p=1/4' noenhanced with lines lt 10, \
     datafile index 22 using 1:2 title 'adam p=1/2' noenhanced with lines lt 11, \
     datafile index 23 using 1:2 title 'adam p=1' noenhanced with lines lt 12
unset multiplot
unset output

set terminal svg size 1400,1000 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot layout 2,2 title 'Spectral family U S^p V^T, best rate per cell, mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set title 'MLP 784-128-128-10 (Fashion-MNIST): final loss vs p' noenhanced font ',13'
set xlabel 'p in U S^p V^T' noenhanced
set ylabel 'final training loss' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [-0.050000000000000003:1.05]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 title 'first moment (momentum)' noenhanced with linespoints lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 title 'RMS-normalised (Adam)' noenhanced with linespoints lt 2
# panel 2
set title 'char-level MLP LM, hidden 128 (fortunes): final loss vs p' noenhanced font ',13'
set xlabel 'p in U S^p V^T' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [-0.050000000000000003:1.05]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 4 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 5 using 1:2 title 'first moment (momentum)' noenhanced with linespoints lt 1, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 7 using 1:2 title 'RMS-normalised (Adam)' noenhanced with linespoints lt 2
# panel 3
set title 'MLP 784-128-128-10 (Fashion-MNIST): mean curves' noenhanced font ',13'
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
set key default
set key reverse Left samplen 3 spacing 1.1
set key top right
plot datafile index 8 using 1:2 title 'momentum p=0' noenhanced with lines lt 1, \
     datafile index 9 using 1:2 title 'momentum p=1/4' noenhanced with lines lt 2, \
     datafile index 10 using 1:2 title 'momentum p=1/2' noenhanced with lines lt 3, \
     datafile index 11 using 1:2 title 'momentum p=1' noenhanced with lines lt 4, \
     datafile index 12 using 1:2 title 'adam p=0' noenhanced with lines lt 9, \
     datafile index 13 using 1:2 title 'adam p=1/4' noenhanced with lines lt 10, \
     datafile index 14 using 1:2 title 'adam p=1/2' noenhanced with lines lt 11, \
     datafile index 15 using 1:2 title 'adam p=1' noenhanced with lines lt 12
# panel 4
set title 'char-level MLP LM, hidden 128 (fortunes): mean curves' noenhanced font ',13'
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
set key default
set key reverse Left samplen 3 spacing 1.1
set key top right
plot datafile index 16 using 1:2 title 'momentum p=0' noenhanced with lines lt 1, \
     datafile index 17 using 1:2 title 'momentum p=1/4' noenhanced with lines lt 2, \
     datafile index 18 using 1:2 title 'momentum p=1/2' noenhanced with lines lt 3, \
     datafile index 19 using 1:2 title 'momentum p=1' noenhanced with lines lt 4, \
     datafile index 20 using 1:2 title 'adam p=0' noenhanced with lines lt 9, \
     datafile index 21 using 1:2 title 'adam p=1/4' noenhanced with lines lt 10, \
     datafile index 22 using 1:2 title 'adam p=1/2' noenhanced with lines lt 11, \
     datafile index 23 using 1:2 title 'adam p=1' noenhanced with lines lt 12
unset multiplot
unset output
