# muonlab figure ef21_compression: data in ef21_compression.dat, one index block per series.
# Re-render from this directory: gnuplot ef21_compression.gp
if (!exists('datafile')) datafile = 'ef21_compression.dat'
if (!exists('out_png')) out_png = 'ef21_compression.png'
if (!exists('out_svg')) out_svg = 'ef21_compression.svg'

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

set terminal pngcairo size 1400,560 font 'sans,11' enhanced
set output out_png
set multiplot title 'EF21-Muon with 4 simulated workers: MLP on Fashion-MNIST, best rate per compressor, mean of 2 seed(s)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.05343; set rmargin at screen 0.48250
set bmargin at screen 0.27107; set tmargin at screen 0.85268
set title 'training loss vs bits communicated (up + down)' noenhanced font ',13'
set xlabel 'bits' noenhanced
set ylabel 'training loss' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 0 using 1:2 notitle with lines lt 1 lw 2, \
     datafile index 1 using 1:2 notitle with lines lt 2 lw 2, \
     datafile index 2 using 1:2 notitle with lines lt 3 lw 2, \
     datafile index 3 using 1:2 notitle with lines lt 4 lw 2, \
     datafile index 4 using 1:2 notitle with lines lt 5 lw 2, \
     datafile index 5 using 1:2 notitle with lines lt 6 lw 2, \
     datafile index 6 using 1:2 notitle with lines lt 7 lw 2, \
     datafile index 7 using 1:2 notitle with lines lt 8 lw 2
# panel 2
set lmargin at screen 0.55343; set rmargin at screen 0.98250
set bmargin at screen 0.27107; set tmargin at screen 0.85268
set title 'training loss vs steps (band: min..max over seeds)' noenhanced font ',13'
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
plot datafile index 8 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 9 using 1:2 notitle with lines lt 1, \
     datafile index 10 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 11 using 1:2 notitle with lines lt 2, \
     datafile index 12 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 13 using 1:2 notitle with lines lt 3, \
     datafile index 14 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 15 using 1:2 notitle with lines lt 4, \
     datafile index 16 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 17 using 1:2 notitle with lines lt 5, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 19 using 1:2 notitle with lines lt 6, \
     datafile index 20 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 21 using 1:2 notitle with lines lt 7, \
     datafile index 22 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 23 using 1:2 notitle with lines lt 8
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.16500
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 5 maxrows 4
plot NaN notitle, keyentry with lines lt 1 lw 2 title 'uncompressed Muon' noenhanced, \
     keyentry with lines lt 2 lw 2 title 'top-k 10% up' noenhanced, \
     keyentry with lines lt 3 lw 2 title 'top-k 1% up' noenhanced, \
     keyentry with lines lt 4 lw 2 title 'rank-1 up' noenhanced, \
     keyentry with lines lt 5 lw 2 title 'rank-4 up' noenhanced, \
     keyentry with lines lt 6 lw 2 title 'natural up' noenhanced, \
     keyentry with lines lt 7 lw 2 title 'top-k 10% both ways' noenhanced, \
     keyentry with lines lt 8 lw 2 title 'natural both ways' noenhanced, \
     keyentry with lines lt 1 title 'uncompressed Muon (lr 0.03)' noenhanced, \
     keyentry with lines lt 2 title 'top-k 10% up (lr 0.03)' noenhanced, \
     keyentry with lines lt 3 title 'top-k 1% up (lr 0.01)' noenhanced, \
     keyentry with lines lt 4 title 'rank-1 up (lr 0.03)' noenhanced, \
     keyentry with lines lt 5 title 'rank-4 up (lr 0.03)' noenhanced, \
     keyentry with lines lt 6 title 'natural up (lr 0.03)' noenhanced, \
     keyentry with lines lt 7 title 'top-k 10% both ways (lr 0.03)' noenhanced, \
     keyentry with lines lt 8 title 'natural both ways (lr 0.03)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output

set terminal svg size 1400,560 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title 'EF21-Muon with 4 simulated workers: MLP on Fashion-MNIST, best rate per compressor, mean of 2 seed(s)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.05343; set rmargin at screen 0.48250
set bmargin at screen 0.27107; set tmargin at screen 0.85268
set title 'training loss vs bits communicated (up + down)' noenhanced font ',13'
set xlabel 'bits' noenhanced
set ylabel 'training loss' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 0 using 1:2 notitle with lines lt 1 lw 2, \
     datafile index 1 using 1:2 notitle with lines lt 2 lw 2, \
     datafile index 2 using 1:2 notitle with lines lt 3 lw 2, \
     datafile index 3 using 1:2 notitle with lines lt 4 lw 2, \
     datafile index 4 using 1:2 notitle with lines lt 5 lw 2, \
     datafile index 5 using 1:2 notitle with lines lt 6 lw 2, \
     datafile index 6 using 1:2 notitle with lines lt 7 lw 2, \
     datafile index 7 using 1:2 notitle with lines lt 8 lw 2
# panel 2
set lmargin at screen 0.55343; set rmargin at screen 0.98250
set bmargin at screen 0.27107; set tmargin at screen 0.85268
set title 'training loss vs steps (band: min..max over seeds)' noenhanced font ',13'
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
plot datafile index 8 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 9 using 1:2 notitle with lines lt 1, \
     datafile index 10 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 11 using 1:2 notitle with lines lt 2, \
     datafile index 12 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 13 using 1:2 notitle with lines lt 3, \
     datafile index 14 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 15 using 1:2 notitle with lines lt 4, \
     datafile index 16 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 17 using 1:2 notitle with lines lt 5, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 6, \
     datafile index 19 using 1:2 notitle with lines lt 6, \
     datafile index 20 using 1:3:4 notitle with filledcurves lt 7, \
     datafile index 21 using 1:2 notitle with lines lt 7, \
     datafile index 22 using 1:3:4 notitle with filledcurves lt 8, \
     datafile index 23 using 1:2 notitle with lines lt 8
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.16500
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 5 maxrows 4
plot NaN notitle, keyentry with lines lt 1 lw 2 title 'uncompressed Muon' noenhanced, \
     keyentry with lines lt 2 lw 2 title 'top-k 10% up' noenhanced, \
     keyentry with lines lt 3 lw 2 title 'top-k 1% up' noenhanced, \
     keyentry with lines lt 4 lw 2 title 'rank-1 up' noenhanced, \
     keyentry with lines lt 5 lw 2 title 'rank-4 up' noenhanced, \
     keyentry with lines lt 6 lw 2 title 'natural up' noenhanced, \
     keyentry with lines lt 7 lw 2 title 'top-k 10% both ways' noenhanced, \
     keyentry with lines lt 8 lw 2 title 'natural both ways' noenhanced, \
     keyentry with lines lt 1 title 'uncompressed Muon (lr 0.03)' noenhanced, \
     keyentry with lines lt 2 title 'top-k 10% up (lr 0.03)' noenhanced, \
     keyentry with lines lt 3 title 'top-k 1% up (lr 0.01)' noenhanced, \
     keyentry with lines lt 4 title 'rank-1 up (lr 0.03)' noenhanced, \
     keyentry with lines lt 5 title 'rank-4 up (lr 0.03)' noenhanced, \
     keyentry with lines lt 6 title 'natural up (lr 0.03)' noenhanced, \
     keyentry with lines lt 7 title 'top-k 10% both ways (lr 0.03)' noenhanced, \
     keyentry with lines lt 8 title 'natural both ways (lr 0.03)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output
