# muonlab figure trasmuon_ablation: data in trasmuon_ablation.dat, one index block per series.
# Re-render from this directory: gnuplot trasmuon_ablation.gp
if (!exists('datafile')) datafile = 'trasmuon_ablation.dat'
if (!exists('out_png')) out_png = 'trasmuon_ablation.png'
if (!exists('out_svg')) out_svg = 'trasmuon_ablation.svg'

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
set multiplot layout 2,2 title 'TrasMuon ablation, MLP on Fashion-MNIST: mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set title 'clean gradients' noenhanced font ',13'
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
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 title 'TrasMuon (all on)' noenhanced with lines lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 title 'no momentum normalisation' noenhanced with lines lt 2, \
     datafile index 4 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 5 using 1:2 title 'no row-wise second moment' noenhanced with lines lt 3, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 7 using 1:2 title 'no energy damping' noenhanced with lines lt 4, \
     datafile index 8 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 9 using 1:2 title 'no RMS calibration' noenhanced with lines lt 5, \
     datafile index 10 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 11 using 1:2 title 'Muon' noenhanced with lines lt 6
# panel 2
set title 'cost of outliers (4 columns x100 on 10% of steps), paired by seed' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'loss with outliers - clean loss' noenhanced
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
set key bottom right
plot datafile index 12 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 13 using 1:2 title 'TrasMuon (all on)' noenhanced with lines lt 1, \
     datafile index 14 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 15 using 1:2 title 'no momentum normalisation' noenhanced with lines lt 2, \
     datafile index 16 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 17 using 1:2 title 'no row-wise second moment' noenhanced with lines lt 3, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 19 using 1:2 title 'no energy damping' noenhanced with lines lt 4, \
     datafile index 20 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 21 using 1:2 title 'no RMS calibration' noenhanced with lines lt 5, \
     datafile index 22 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 23 using 1:2 title 'Muon' noenhanced with lines lt 6
# panel 3
set title 'TrasMuon: final loss vs alpha' noenhanced font ',13'
set xlabel 'damping strength alpha' noenhanced
set ylabel 'final training loss' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 24 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 25 using 1:2 title 'clean' noenhanced with linespoints lt 1, \
     datafile index 26 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 27 using 1:2 title 'with outliers' noenhanced with linespoints lt 2
# panel 4
set title 'TrasMuon: final loss vs c_min' noenhanced font ',13'
set xlabel 'damping floor c_min' noenhanced
set ylabel 'final training loss' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 28 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 29 using 1:2 title 'clean' noenhanced with linespoints lt 1, \
     datafile index 30 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 31 using 1:2 title 'with outliers' noenhanced with linespoints lt 2
unset multiplot
unset output

set terminal svg size 1400,1000 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot layout 2,2 title 'TrasMuon ablation, MLP on Fashion-MNIST: mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set title 'clean gradients' noenhanced font ',13'
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
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 title 'TrasMuon (all on)' noenhanced with lines lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 title 'no momentum normalisation' noenhanced with lines lt 2, \
     datafile index 4 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 5 using 1:2 title 'no row-wise second moment' noenhanced with lines lt 3, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 7 using 1:2 title 'no energy damping' noenhanced with lines lt 4, \
     datafile index 8 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 9 using 1:2 title 'no RMS calibration' noenhanced with lines lt 5, \
     datafile index 10 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 11 using 1:2 title 'Muon' noenhanced with lines lt 6
# panel 2
set title 'cost of outliers (4 columns x100 on 10% of steps), paired by seed' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'loss with outliers - clean loss' noenhanced
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
set key bottom right
plot datafile index 12 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 13 using 1:2 title 'TrasMuon (all on)' noenhanced with lines lt 1, \
     datafile index 14 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 15 using 1:2 title 'no momentum normalisation' noenhanced with lines lt 2, \
     datafile index 16 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 17 using 1:2 title 'no row-wise second moment' noenhanced with lines lt 3, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 19 using 1:2 title 'no energy damping' noenhanced with lines lt 4, \
     datafile index 20 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 21 using 1:2 title 'no RMS calibration' noenhanced with lines lt 5, \
     datafile index 22 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 23 using 1:2 title 'Muon' noenhanced with lines lt 6
# panel 3
set title 'TrasMuon: final loss vs alpha' noenhanced font ',13'
set xlabel 'damping strength alpha' noenhanced
set ylabel 'final training loss' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 24 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 25 using 1:2 title 'clean' noenhanced with linespoints lt 1, \
     datafile index 26 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 27 using 1:2 title 'with outliers' noenhanced with linespoints lt 2
# panel 4
set title 'TrasMuon: final loss vs c_min' noenhanced font ',13'
set xlabel 'damping floor c_min' noenhanced
set ylabel 'final training loss' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 28 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 29 using 1:2 title 'clean' noenhanced with linespoints lt 1, \
     datafile index 30 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 31 using 1:2 title 'with outliers' noenhanced with linespoints lt 2
unset multiplot
unset output
