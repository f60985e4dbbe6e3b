# muonlab figure ns_cost_accuracy: data in ns_cost_accuracy.dat, one index block per series.
# Re-render from this directory: gnuplot ns_cost_accuracy.gp
if (!exists('datafile')) datafile = 'ns_cost_accuracy.dat'
if (!exists('out_png')) out_png = 'ns_cost_accuracy.png'
if (!exists('out_svg')) out_svg = 'ns_cost_accuracy.svg'

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

set terminal pngcairo size 1680,600 font 'sans,11' enhanced
set output out_png
set multiplot title 'Orthogonalization: cost vs accuracy (NS: 5 steps of every schedule, 10 of quintic and Polar Express)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.04765; set rmargin at screen 0.31979
set bmargin at screen 0.09900; set tmargin at screen 0.86250
set title 'Gaussian 128x512' noenhanced font ',13'
set xlabel 'wall time (s), median' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [0.0001:1]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:3]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top right
plot datafile index 0 using 1:2 title 'NS fp64 direct' noenhanced with points lt 1 pt 7 ps 1.4, \
     datafile index 1 using 1:2 title 'NS fp64 gram' noenhanced with points lt 1 pt 4 ps 1.4, \
     datafile index 2 using 1:2 title 'NS fp64 eig' noenhanced with points lt 1 pt 6 ps 1.4, \
     datafile index 3 using 1:2 title 'NS fp32 direct' noenhanced with points lt 2 pt 7 ps 1.4, \
     datafile index 4 using 1:2 title 'NS fp32 gram' noenhanced with points lt 2 pt 4 ps 1.4, \
     datafile index 5 using 1:2 title 'NS fp32 eig' noenhanced with points lt 2 pt 6 ps 1.4, \
     datafile index 6 using 1:2 title 'NS bf16 direct' noenhanced with points lt 3 pt 7 ps 1.4, \
     datafile index 7 using 1:2 title 'NS bf16 gram' noenhanced with points lt 3 pt 4 ps 1.4, \
     datafile index 8 using 1:2 title 'SVD polar' noenhanced with points lt 4 pt 9 ps 2, \
     datafile index 9 using 1:2 title 'eig of Gram' noenhanced with points lt 5 pt 13 ps 2, \
     datafile index 10 using 1:2 title 'QDWH' noenhanced with points lt 6 pt 11 ps 2, \
     datafile index 11 using 1:2 title 'Zolo-PD' noenhanced with points lt 7 pt 15 ps 2, \
     datafile index 12 using 1:2 title 'Gram NS (gram\_ns, restart@3)' noenhanced with points lt 13 lc rgb '#000000' pt 6 ps 2.4, \
     datafile index 13 using 1:2 title 'Pareto front' noenhanced with lines lt 14 lc rgb '#000000' lw 1.5 dt 2
# panel 2
set lmargin at screen 0.38098; set rmargin at screen 0.65312
set bmargin at screen 0.09900; set tmargin at screen 0.86250
set title 'Gaussian 256x1024' noenhanced font ',13'
set xlabel 'wall time (s), median' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [0.001:0.10000000000000001]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:3]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 14 using 1:2 notitle with points lt 1 pt 7 ps 1.4, \
     datafile index 15 using 1:2 notitle with points lt 1 pt 4 ps 1.4, \
     datafile index 16 using 1:2 notitle with points lt 1 pt 6 ps 1.4, \
     datafile index 17 using 1:2 notitle with points lt 2 pt 7 ps 1.4, \
     datafile index 18 using 1:2 notitle with points lt 2 pt 4 ps 1.4, \
     datafile index 19 using 1:2 notitle with points lt 2 pt 6 ps 1.4, \
     datafile index 20 using 1:2 notitle with points lt 3 pt 7 ps 1.4, \
     datafile index 21 using 1:2 notitle with points lt 3 pt 4 ps 1.4, \
     datafile index 22 using 1:2 notitle with points lt 4 pt 9 ps 2, \
     datafile index 23 using 1:2 notitle with points lt 5 pt 13 ps 2, \
     datafile index 24 using 1:2 notitle with points lt 6 pt 11 ps 2, \
     datafile index 25 using 1:2 notitle with points lt 7 pt 15 ps 2, \
     datafile index 26 using 1:2 notitle with points lt 13 lc rgb '#000000' pt 6 ps 2.4, \
     datafile index 27 using 1:2 notitle with lines lt 14 lc rgb '#000000' lw 1.5 dt 2
# panel 3
set lmargin at screen 0.71432; set rmargin at screen 0.98646
set bmargin at screen 0.09900; set tmargin at screen 0.86250
set title 'Gaussian 512x2048' noenhanced font ',13'
set xlabel 'wall time (s), median' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [0.01:1]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:3]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 28 using 1:2 notitle with points lt 1 pt 7 ps 1.4, \
     datafile index 29 using 1:2 notitle with points lt 1 pt 4 ps 1.4, \
     datafile index 30 using 1:2 notitle with points lt 1 pt 6 ps 1.4, \
     datafile index 31 using 1:2 notitle with points lt 2 pt 7 ps 1.4, \
     datafile index 32 using 1:2 notitle with points lt 2 pt 4 ps 1.4, \
     datafile index 33 using 1:2 notitle with points lt 2 pt 6 ps 1.4, \
     datafile index 34 using 1:2 notitle with points lt 3 pt 7 ps 1.4, \
     datafile index 35 using 1:2 notitle with points lt 3 pt 4 ps 1.4, \
     datafile index 36 using 1:2 notitle with points lt 4 pt 9 ps 2, \
     datafile index 37 using 1:2 notitle with points lt 5 pt 13 ps 2, \
     datafile index 38 using 1:2 notitle with points lt 6 pt 11 ps 2, \
     datafile index 39 using 1:2 notitle with points lt 7 pt 15 ps 2, \
     datafile index 40 using 1:2 notitle with points lt 13 lc rgb '#000000' pt 6 ps 2.4, \
     datafile index 41 using 1:2 notitle with lines lt 14 lc rgb '#000000' lw 1.5 dt 2
unset multiplot
unset output

set terminal svg size 1680,600 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title 'Orthogonalization: cost vs accuracy (NS: 5 steps of every schedule, 10 of quintic and Polar Express)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.04765; set rmargin at screen 0.31979
set bmargin at screen 0.09900; set tmargin at screen 0.86250
set title 'Gaussian 128x512' noenhanced font ',13'
set xlabel 'wall time (s), median' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [0.0001:1]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:3]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top right
plot datafile index 0 using 1:2 title 'NS fp64 direct' noenhanced with points lt 1 pt 7 ps 1.4, \
     datafile index 1 using 1:2 title 'NS fp64 gram' noenhanced with points lt 1 pt 4 ps 1.4, \
     datafile index 2 using 1:2 title 'NS fp64 eig' noenhanced with points lt 1 pt 6 ps 1.4, \
     datafile index 3 using 1:2 title 'NS fp32 direct' noenhanced with points lt 2 pt 7 ps 1.4, \
     datafile index 4 using 1:2 title 'NS fp32 gram' noenhanced with points lt 2 pt 4 ps 1.4, \
     datafile index 5 using 1:2 title 'NS fp32 eig' noenhanced with points lt 2 pt 6 ps 1.4, \
     datafile index 6 using 1:2 title 'NS bf16 direct' noenhanced with points lt 3 pt 7 ps 1.4, \
     datafile index 7 using 1:2 title 'NS bf16 gram' noenhanced with points lt 3 pt 4 ps 1.4, \
     datafile index 8 using 1:2 title 'SVD polar' noenhanced with points lt 4 pt 9 ps 2, \
     datafile index 9 using 1:2 title 'eig of Gram' noenhanced with points lt 5 pt 13 ps 2, \
     datafile index 10 using 1:2 title 'QDWH' noenhanced with points lt 6 pt 11 ps 2, \
     datafile index 11 using 1:2 title 'Zolo-PD' noenhanced with points lt 7 pt 15 ps 2, \
     datafile index 12 using 1:2 title 'Gram NS (gram\_ns, restart@3)' noenhanced with points lt 13 lc rgb '#000000' pt 6 ps 2.4, \
     datafile index 13 using 1:2 title 'Pareto front' noenhanced with lines lt 14 lc rgb '#000000' lw 1.5 dt 2
# panel 2
set lmargin at screen 0.38098; set rmargin at screen 0.65312
set bmargin at screen 0.09900; set tmargin at screen 0.86250
set title 'Gaussian 256x1024' noenhanced font ',13'
set xlabel 'wall time (s), median' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [0.001:0.10000000000000001]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:3]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 14 using 1:2 notitle with points lt 1 pt 7 ps 1.4, \
     datafile index 15 using 1:2 notitle with points lt 1 pt 4 ps 1.4, \
     datafile index 16 using 1:2 notitle with points lt 1 pt 6 ps 1.4, \
     datafile index 17 using 1:2 notitle with points lt 2 pt 7 ps 1.4, \
     datafile index 18 using 1:2 notitle with points lt 2 pt 4 ps 1.4, \
     datafile index 19 using 1:2 notitle with points lt 2 pt 6 ps 1.4, \
     datafile index 20 using 1:2 notitle with points lt 3 pt 7 ps 1.4, \
     datafile index 21 using 1:2 notitle with points lt 3 pt 4 ps 1.4, \
     datafile index 22 using 1:2 notitle with points lt 4 pt 9 ps 2, \
     datafile index 23 using 1:2 notitle with points lt 5 pt 13 ps 2, \
     datafile index 24 using 1:2 notitle with points lt 6 pt 11 ps 2, \
     datafile index 25 using 1:2 notitle with points lt 7 pt 15 ps 2, \
     datafile index 26 using 1:2 notitle with points lt 13 lc rgb '#000000' pt 6 ps 2.4, \
     datafile index 27 using 1:2 notitle with lines lt 14 lc rgb '#000000' lw 1.5 dt 2
# panel 3
set lmargin at screen 0.71432; set rmargin at screen 0.98646
set bmargin at screen 0.09900; set tmargin at screen 0.86250
set title 'Gaussian 512x2048' noenhanced font ',13'
set xlabel 'wall time (s), median' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [0.01:1]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:3]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 28 using 1:2 notitle with points lt 1 pt 7 ps 1.4, \
     datafile index 29 using 1:2 notitle with points lt 1 pt 4 ps 1.4, \
     datafile index 30 using 1:2 notitle with points lt 1 pt 6 ps 1.4, \
     datafile index 31 using 1:2 notitle with points lt 2 pt 7 ps 1.4, \
     datafile index 32 using 1:2 notitle with points lt 2 pt 4 ps 1.4, \
     datafile index 33 using 1:2 notitle with points lt 2 pt 6 ps 1.4, \
     datafile index 34 using 1:2 notitle with points lt 3 pt 7 ps 1.4, \
     datafile index 35 using 1:2 notitle with points lt 3 pt 4 ps 1.4, \
     datafile index 36 using 1:2 notitle with points lt 4 pt 9 ps 2, \
     datafile index 37 using 1:2 notitle with points lt 5 pt 13 ps 2, \
     datafile index 38 using 1:2 notitle with points lt 6 pt 11 ps 2, \
     datafile index 39 using 1:2 notitle with points lt 7 pt 15 ps 2, \
     datafile index 40 using 1:2 notitle with points lt 13 lc rgb '#000000' pt 6 ps 2.4, \
     datafile index 41 using 1:2 notitle with lines lt 14 lc rgb '#000000' lw 1.5 dt 2
unset multiplot
unset output
