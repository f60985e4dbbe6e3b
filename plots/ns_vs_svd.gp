# muonlab figure ns_vs_svd: data in ns_vs_svd.dat, one index block per series.
# Re-render from this directory: gnuplot ns_vs_svd.gp
if (!exists('datafile')) datafile = 'ns_vs_svd.dat'
if (!exists('out_png')) out_png = 'ns_vs_svd.png'
if (!exists('out_svg')) out_svg = 'ns_vs_svd.svg'

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
set multiplot
# panel 1
set lmargin at screen 0.05718; set rmargin at screen 0.48500
set bmargin at screen 0.10607; set tmargin at screen 0.92339
set title 'Gaussian 256x1024: distance to polar factor' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
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
set key bottom left
plot datafile index 0 using 1:2 title 'cubic' noenhanced with linespoints lt 1, \
     datafile index 1 using 1:2 title 'quintic' noenhanced with linespoints lt 2, \
     datafile index 2 using 1:2 title 'jordan' noenhanced with linespoints lt 3, \
     datafile index 3 using 1:2 title 'you' noenhanced with linespoints lt 4, \
     datafile index 4 using 1:2 title 'polar_express' noenhanced with linespoints lt 5
# panel 2
set lmargin at screen 0.55718; set rmargin at screen 0.98500
set bmargin at screen 0.10607; set tmargin at screen 0.92339
set title 'after 5 steps, prescribed spectrum' noenhanced font ',13'
set xlabel 'condition number' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
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
set key default
set key reverse Left samplen 3 spacing 1.1
set key bottom right
plot datafile index 5 using 1:2 title 'cubic' noenhanced with linespoints lt 1, \
     datafile index 6 using 1:2 title 'quintic' noenhanced with linespoints lt 2, \
     datafile index 7 using 1:2 title 'jordan' noenhanced with linespoints lt 3, \
     datafile index 8 using 1:2 title 'you' noenhanced with linespoints lt 4, \
     datafile index 9 using 1:2 title 'polar_express' noenhanced with linespoints lt 5
unset multiplot
unset output

set terminal svg size 1400,560 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot
# panel 1
set lmargin at screen 0.05718; set rmargin at screen 0.48500
set bmargin at screen 0.10607; set tmargin at screen 0.92339
set title 'Gaussian 256x1024: distance to polar factor' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
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
set key bottom left
plot datafile index 0 using 1:2 title 'cubic' noenhanced with linespoints lt 1, \
     datafile index 1 using 1:2 title 'quintic' noenhanced with linespoints lt 2, \
     datafile index 2 using 1:2 title 'jordan' noenhanced with linespoints lt 3, \
     datafile index 3 using 1:2 title 'you' noenhanced with linespoints lt 4, \
     datafile index 4 using 1:2 title 'polar_express' noenhanced with linespoints lt 5
# panel 2
set lmargin at screen 0.55718; set rmargin at screen 0.98500
set bmargin at screen 0.10607; set tmargin at screen 0.92339
set title 'after 5 steps, prescribed spectrum' noenhanced font ',13'
set xlabel 'condition number' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
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
set key default
set key reverse Left samplen 3 spacing 1.1
set key bottom right
plot datafile index 5 using 1:2 title 'cubic' noenhanced with linespoints lt 1, \
     datafile index 6 using 1:2 title 'quintic' noenhanced with linespoints lt 2, \
     datafile index 7 using 1:2 title 'jordan' noenhanced with linespoints lt 3, \
     datafile index 8 using 1:2 title 'you' noenhanced with linespoints lt 4, \
     datafile index 9 using 1:2 title 'polar_express' noenhanced with linespoints lt 5
unset multiplot
unset output
