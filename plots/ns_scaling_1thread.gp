# muonlab figure ns_scaling_1thread: data in ns_scaling_1thread.dat, one index block per series.
# Re-render from this directory: gnuplot ns_scaling_1thread.gp
if (!exists('datafile')) datafile = 'ns_scaling_1thread.dat'
if (!exists('out_png')) out_png = 'ns_scaling_1thread.png'
if (!exists('out_svg')) out_svg = 'ns_scaling_1thread.svg'

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

set terminal pngcairo size 900,600 font 'sans,11' enhanced
set output out_png
set title '5-step Newton-Schulz (Jordan), fp32, m x n with n = 4m: time per call (median)' noenhanced font ',13'
set xlabel 'n (columns; m = n/4 rows)' noenhanced
set ylabel 'milliseconds' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [400:8000]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 0 using 1:2 title 'muonlab ns auto (the default: direct, gram or eig)' noenhanced with linespoints lt 1 lw 3, \
     datafile index 1 using 1:2 title 'muonlab ns direct' noenhanced with linespoints lt 2, \
     datafile index 2 using 1:2 title 'muonlab ns gram' noenhanced with linespoints lt 3, \
     datafile index 3 using 1:2 title 'muonlab ns eig' noenhanced with linespoints lt 4, \
     datafile index 4 using 1:2 title 'numpy ns' noenhanced with linespoints lt 5, \
     datafile index 5 using 1:2 title 'torch ns' noenhanced with linespoints lt 6, \
     datafile index 6 using 1:2 title 'torch ns passive' noenhanced with linespoints lt 7, \
     datafile index 7 using 1:2 title 'numpy''s flops at the sgemm peak (173 GFLOP/s)' noenhanced with lines lt 8 lw 2 dt 2 lc rgb '#555555'
unset output

set terminal svg size 900,600 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set title '5-step Newton-Schulz (Jordan), fp32, m x n with n = 4m: time per call (median)' noenhanced font ',13'
set xlabel 'n (columns; m = n/4 rows)' noenhanced
set ylabel 'milliseconds' noenhanced
unset logscale
set logscale x 10
set format x '10^{%L}'
set mxtics default
set xrange [400:8000]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key top left
plot datafile index 0 using 1:2 title 'muonlab ns auto (the default: direct, gram or eig)' noenhanced with linespoints lt 1 lw 3, \
     datafile index 1 using 1:2 title 'muonlab ns direct' noenhanced with linespoints lt 2, \
     datafile index 2 using 1:2 title 'muonlab ns gram' noenhanced with linespoints lt 3, \
     datafile index 3 using 1:2 title 'muonlab ns eig' noenhanced with linespoints lt 4, \
     datafile index 4 using 1:2 title 'numpy ns' noenhanced with linespoints lt 5, \
     datafile index 5 using 1:2 title 'torch ns' noenhanced with linespoints lt 6, \
     datafile index 6 using 1:2 title 'torch ns passive' noenhanced with linespoints lt 7, \
     datafile index 7 using 1:2 title 'numpy''s flops at the sgemm peak (173 GFLOP/s)' noenhanced with lines lt 8 lw 2 dt 2 lc rgb '#555555'
unset output
