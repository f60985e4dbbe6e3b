# muonlab figure ns_error_vs_cond: data in ns_error_vs_cond.dat, one index block per series.
# Re-render from this directory: gnuplot ns_error_vs_cond.gp
if (!exists('datafile')) datafile = 'ns_error_vs_cond.dat'
if (!exists('out_png')) out_png = 'ns_error_vs_cond.png'
if (!exists('out_svg')) out_svg = 'ns_error_vs_cond.svg'

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

set terminal pngcairo size 2100,920 font 'sans,11' enhanced
set output out_png
set multiplot title '5 NS steps on 256x1024 matrices with geometric singular values' noenhanced font ',14'
# panel 1
set lmargin at screen 0.03562; set rmargin at screen 0.19042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond frobenius' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key bottom right
plot datafile index 0 using 1:2 title 'cubic' noenhanced with linespoints lt 1, \
     datafile index 1 using 1:2 title 'quintic' noenhanced with linespoints lt 2, \
     datafile index 2 using 1:2 title 'jordan' noenhanced with linespoints lt 3, \
     datafile index 3 using 1:2 title 'you' noenhanced with linespoints lt 4, \
     datafile index 4 using 1:2 title 'polar_express' noenhanced with linespoints lt 5, \
     datafile index 5 using 1:2 title 'cans' noenhanced with linespoints lt 6, \
     datafile index 6 using 1:2 title 'PE bare' noenhanced with linespoints lt 7
# panel 2
set lmargin at screen 0.23562; set rmargin at screen 0.39042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond spectral' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 7 using 1:2 notitle with linespoints lt 1, \
     datafile index 8 using 1:2 notitle with linespoints lt 2, \
     datafile index 9 using 1:2 notitle with linespoints lt 3, \
     datafile index 10 using 1:2 notitle with linespoints lt 4, \
     datafile index 11 using 1:2 notitle with linespoints lt 5, \
     datafile index 12 using 1:2 notitle with linespoints lt 6, \
     datafile index 13 using 1:2 notitle with linespoints lt 7
# panel 3
set lmargin at screen 0.43562; set rmargin at screen 0.59042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond aol' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 14 using 1:2 notitle with linespoints lt 1, \
     datafile index 15 using 1:2 notitle with linespoints lt 2, \
     datafile index 16 using 1:2 notitle with linespoints lt 3, \
     datafile index 17 using 1:2 notitle with linespoints lt 4, \
     datafile index 18 using 1:2 notitle with linespoints lt 5, \
     datafile index 19 using 1:2 notitle with linespoints lt 6, \
     datafile index 20 using 1:2 notitle with linespoints lt 7
# panel 4
set lmargin at screen 0.63562; set rmargin at screen 0.79042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond schatten' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 21 using 1:2 notitle with linespoints lt 1, \
     datafile index 22 using 1:2 notitle with linespoints lt 2, \
     datafile index 23 using 1:2 notitle with linespoints lt 3, \
     datafile index 24 using 1:2 notitle with linespoints lt 4, \
     datafile index 25 using 1:2 notitle with linespoints lt 5, \
     datafile index 26 using 1:2 notitle with linespoints lt 6, \
     datafile index 27 using 1:2 notitle with linespoints lt 7
# panel 5
set lmargin at screen 0.83562; set rmargin at screen 0.99042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond none (sigma_max = 1)' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 28 using 1:2 notitle with linespoints lt 1, \
     datafile index 29 using 1:2 notitle with linespoints lt 2, \
     datafile index 30 using 1:2 notitle with linespoints lt 3, \
     datafile index 31 using 1:2 notitle with linespoints lt 4, \
     datafile index 32 using 1:2 notitle with linespoints lt 5, \
     datafile index 33 using 1:2 notitle with linespoints lt 6, \
     datafile index 34 using 1:2 notitle with linespoints lt 7
# panel 6
set lmargin at screen 0.03562; set rmargin at screen 0.19042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond frobenius' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 35 using 1:2 notitle with linespoints lt 1, \
     datafile index 36 using 1:2 notitle with linespoints lt 2, \
     datafile index 37 using 1:2 notitle with linespoints lt 3, \
     datafile index 38 using 1:2 notitle with linespoints lt 4, \
     datafile index 39 using 1:2 notitle with linespoints lt 5, \
     datafile index 40 using 1:2 notitle with linespoints lt 6, \
     datafile index 41 using 1:2 notitle with linespoints lt 7
# panel 7
set lmargin at screen 0.23562; set rmargin at screen 0.39042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond spectral' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 42 using 1:2 notitle with linespoints lt 1, \
     datafile index 43 using 1:2 notitle with linespoints lt 2, \
     datafile index 44 using 1:2 notitle with linespoints lt 3, \
     datafile index 45 using 1:2 notitle with linespoints lt 4, \
     datafile index 46 using 1:2 notitle with linespoints lt 5, \
     datafile index 47 using 1:2 notitle with linespoints lt 6, \
     datafile index 48 using 1:2 notitle with linespoints lt 7
# panel 8
set lmargin at screen 0.43562; set rmargin at screen 0.59042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond aol' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 49 using 1:2 notitle with linespoints lt 1, \
     datafile index 50 using 1:2 notitle with linespoints lt 2, \
     datafile index 51 using 1:2 notitle with linespoints lt 3, \
     datafile index 52 using 1:2 notitle with linespoints lt 4, \
     datafile index 53 using 1:2 notitle with linespoints lt 5, \
     datafile index 54 using 1:2 notitle with linespoints lt 6, \
     datafile index 55 using 1:2 notitle with linespoints lt 7
# panel 9
set lmargin at screen 0.63562; set rmargin at screen 0.79042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond schatten' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 56 using 1:2 notitle with linespoints lt 1, \
     datafile index 57 using 1:2 notitle with linespoints lt 2, \
     datafile index 58 using 1:2 notitle with linespoints lt 3, \
     datafile index 59 using 1:2 notitle with linespoints lt 4, \
     datafile index 60 using 1:2 notitle with linespoints lt 5, \
     datafile index 61 using 1:2 notitle with linespoints lt 6, \
     datafile index 62 using 1:2 notitle with linespoints lt 7
# panel 10
set lmargin at screen 0.83562; set rmargin at screen 0.99042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond none (sigma_max = 1)' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 63 using 1:2 notitle with linespoints lt 1, \
     datafile index 64 using 1:2 notitle with linespoints lt 2, \
     datafile index 65 using 1:2 notitle with linespoints lt 3, \
     datafile index 66 using 1:2 notitle with linespoints lt 4, \
     datafile index 67 using 1:2 notitle with linespoints lt 5, \
     datafile index 68 using 1:2 notitle with linespoints lt 6, \
     datafile index 69 using 1:2 notitle with linespoints lt 7
unset multiplot
unset output

set terminal svg size 2100,920 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title '5 NS steps on 256x1024 matrices with geometric singular values' noenhanced font ',14'
# panel 1
set lmargin at screen 0.03562; set rmargin at screen 0.19042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond frobenius' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key bottom right
plot datafile index 0 using 1:2 title 'cubic' noenhanced with linespoints lt 1, \
     datafile index 1 using 1:2 title 'quintic' noenhanced with linespoints lt 2, \
     datafile index 2 using 1:2 title 'jordan' noenhanced with linespoints lt 3, \
     datafile index 3 using 1:2 title 'you' noenhanced with linespoints lt 4, \
     datafile index 4 using 1:2 title 'polar_express' noenhanced with linespoints lt 5, \
     datafile index 5 using 1:2 title 'cans' noenhanced with linespoints lt 6, \
     datafile index 6 using 1:2 title 'PE bare' noenhanced with linespoints lt 7
# panel 2
set lmargin at screen 0.23562; set rmargin at screen 0.39042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond spectral' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 7 using 1:2 notitle with linespoints lt 1, \
     datafile index 8 using 1:2 notitle with linespoints lt 2, \
     datafile index 9 using 1:2 notitle with linespoints lt 3, \
     datafile index 10 using 1:2 notitle with linespoints lt 4, \
     datafile index 11 using 1:2 notitle with linespoints lt 5, \
     datafile index 12 using 1:2 notitle with linespoints lt 6, \
     datafile index 13 using 1:2 notitle with linespoints lt 7
# panel 3
set lmargin at screen 0.43562; set rmargin at screen 0.59042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond aol' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 14 using 1:2 notitle with linespoints lt 1, \
     datafile index 15 using 1:2 notitle with linespoints lt 2, \
     datafile index 16 using 1:2 notitle with linespoints lt 3, \
     datafile index 17 using 1:2 notitle with linespoints lt 4, \
     datafile index 18 using 1:2 notitle with linespoints lt 5, \
     datafile index 19 using 1:2 notitle with linespoints lt 6, \
     datafile index 20 using 1:2 notitle with linespoints lt 7
# panel 4
set lmargin at screen 0.63562; set rmargin at screen 0.79042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond schatten' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 21 using 1:2 notitle with linespoints lt 1, \
     datafile index 22 using 1:2 notitle with linespoints lt 2, \
     datafile index 23 using 1:2 notitle with linespoints lt 3, \
     datafile index 24 using 1:2 notitle with linespoints lt 4, \
     datafile index 25 using 1:2 notitle with linespoints lt 5, \
     datafile index 26 using 1:2 notitle with linespoints lt 6, \
     datafile index 27 using 1:2 notitle with linespoints lt 7
# panel 5
set lmargin at screen 0.83562; set rmargin at screen 0.99042
set bmargin at screen 0.54304; set tmargin at screen 0.91033
set title 'fp32, precond none (sigma_max = 1)' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 28 using 1:2 notitle with linespoints lt 1, \
     datafile index 29 using 1:2 notitle with linespoints lt 2, \
     datafile index 30 using 1:2 notitle with linespoints lt 3, \
     datafile index 31 using 1:2 notitle with linespoints lt 4, \
     datafile index 32 using 1:2 notitle with linespoints lt 5, \
     datafile index 33 using 1:2 notitle with linespoints lt 6, \
     datafile index 34 using 1:2 notitle with linespoints lt 7
# panel 6
set lmargin at screen 0.03562; set rmargin at screen 0.19042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond frobenius' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 35 using 1:2 notitle with linespoints lt 1, \
     datafile index 36 using 1:2 notitle with linespoints lt 2, \
     datafile index 37 using 1:2 notitle with linespoints lt 3, \
     datafile index 38 using 1:2 notitle with linespoints lt 4, \
     datafile index 39 using 1:2 notitle with linespoints lt 5, \
     datafile index 40 using 1:2 notitle with linespoints lt 6, \
     datafile index 41 using 1:2 notitle with linespoints lt 7
# panel 7
set lmargin at screen 0.23562; set rmargin at screen 0.39042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond spectral' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 42 using 1:2 notitle with linespoints lt 1, \
     datafile index 43 using 1:2 notitle with linespoints lt 2, \
     datafile index 44 using 1:2 notitle with linespoints lt 3, \
     datafile index 45 using 1:2 notitle with linespoints lt 4, \
     datafile index 46 using 1:2 notitle with linespoints lt 5, \
     datafile index 47 using 1:2 notitle with linespoints lt 6, \
     datafile index 48 using 1:2 notitle with linespoints lt 7
# panel 8
set lmargin at screen 0.43562; set rmargin at screen 0.59042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond aol' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 49 using 1:2 notitle with linespoints lt 1, \
     datafile index 50 using 1:2 notitle with linespoints lt 2, \
     datafile index 51 using 1:2 notitle with linespoints lt 3, \
     datafile index 52 using 1:2 notitle with linespoints lt 4, \
     datafile index 53 using 1:2 notitle with linespoints lt 5, \
     datafile index 54 using 1:2 notitle with linespoints lt 6, \
     datafile index 55 using 1:2 notitle with linespoints lt 7
# panel 9
set lmargin at screen 0.63562; set rmargin at screen 0.79042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond schatten' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 56 using 1:2 notitle with linespoints lt 1, \
     datafile index 57 using 1:2 notitle with linespoints lt 2, \
     datafile index 58 using 1:2 notitle with linespoints lt 3, \
     datafile index 59 using 1:2 notitle with linespoints lt 4, \
     datafile index 60 using 1:2 notitle with linespoints lt 5, \
     datafile index 61 using 1:2 notitle with linespoints lt 6, \
     datafile index 62 using 1:2 notitle with linespoints lt 7
# panel 10
set lmargin at screen 0.83562; set rmargin at screen 0.99042
set bmargin at screen 0.06457; set tmargin at screen 0.43185
set title 'bf16, precond none (sigma_max = 1)' noenhanced font ',13'
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
set yrange [0.00050000000000000001:30]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 63 using 1:2 notitle with linespoints lt 1, \
     datafile index 64 using 1:2 notitle with linespoints lt 2, \
     datafile index 65 using 1:2 notitle with linespoints lt 3, \
     datafile index 66 using 1:2 notitle with linespoints lt 4, \
     datafile index 67 using 1:2 notitle with linespoints lt 5, \
     datafile index 68 using 1:2 notitle with linespoints lt 6, \
     datafile index 69 using 1:2 notitle with linespoints lt 7
unset multiplot
unset output
