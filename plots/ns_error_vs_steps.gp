# muonlab figure ns_error_vs_steps: data in ns_error_vs_steps.dat, one index block per series.
# Re-render from this directory: gnuplot ns_error_vs_steps.gp
if (!exists('datafile')) datafile = 'ns_error_vs_steps.dat'
if (!exists('out_png')) out_png = 'ns_error_vs_steps.png'
if (!exists('out_svg')) out_svg = 'ns_error_vs_steps.svg'

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

set terminal pngcairo size 1650,1900 font 'sans,11' enhanced
set output out_png
set multiplot
# panel 1
set lmargin at screen 0.04852; set rmargin at screen 0.32061
set bmargin at screen 0.78126; set tmargin at screen 0.97742
set title 'Gaussian 256x1024, fp64: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key bottom left
plot datafile index 0 using 1:2 title 'cubic' noenhanced with linespoints lt 1, \
     datafile index 1 using 1:2 title 'quintic' noenhanced with linespoints lt 2, \
     datafile index 2 using 1:2 title 'jordan' noenhanced with linespoints lt 3, \
     datafile index 3 using 1:2 title 'you' noenhanced with linespoints lt 4, \
     datafile index 4 using 1:2 title 'polar_express' noenhanced with linespoints lt 5, \
     datafile index 5 using 1:2 title 'cans' noenhanced with linespoints lt 6, \
     datafile index 6 using 1:2 title 'PE bare' noenhanced with linespoints lt 7, \
     datafile index 7 using 1:2 notitle with lines lt 8 lc rgb '#888888' lw 1 dt 2
# panel 2
set lmargin at screen 0.38185; set rmargin at screen 0.65394
set bmargin at screen 0.78126; set tmargin at screen 0.97742
set title 'Gaussian 256x1024, fp32: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 8 using 1:2 notitle with linespoints lt 1, \
     datafile index 9 using 1:2 notitle with linespoints lt 2, \
     datafile index 10 using 1:2 notitle with linespoints lt 3, \
     datafile index 11 using 1:2 notitle with linespoints lt 4, \
     datafile index 12 using 1:2 notitle with linespoints lt 5, \
     datafile index 13 using 1:2 notitle with linespoints lt 6, \
     datafile index 14 using 1:2 notitle with linespoints lt 7, \
     datafile index 15 using 1:2 notitle with lines lt 9 lc rgb '#888888' lw 1 dt 2
# panel 3
set lmargin at screen 0.71518; set rmargin at screen 0.98727
set bmargin at screen 0.78126; set tmargin at screen 0.97742
set title 'Gaussian 256x1024, bf16: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 16 using 1:2 notitle with linespoints lt 1, \
     datafile index 17 using 1:2 notitle with linespoints lt 2, \
     datafile index 18 using 1:2 notitle with linespoints lt 3, \
     datafile index 19 using 1:2 notitle with linespoints lt 4, \
     datafile index 20 using 1:2 notitle with linespoints lt 5, \
     datafile index 21 using 1:2 notitle with linespoints lt 6, \
     datafile index 22 using 1:2 notitle with linespoints lt 7, \
     datafile index 23 using 1:2 notitle with lines lt 10 lc rgb '#888888' lw 1 dt 2
# panel 4
set lmargin at screen 0.04852; set rmargin at screen 0.32061
set bmargin at screen 0.53126; set tmargin at screen 0.72742
set title 'Gaussian 256x1024, fp64: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 24 using 1:2 notitle with linespoints lt 1, \
     datafile index 25 using 1:2 notitle with linespoints lt 2, \
     datafile index 26 using 1:2 notitle with linespoints lt 3, \
     datafile index 27 using 1:2 notitle with linespoints lt 4, \
     datafile index 28 using 1:2 notitle with linespoints lt 5, \
     datafile index 29 using 1:2 notitle with linespoints lt 6, \
     datafile index 30 using 1:2 notitle with linespoints lt 7, \
     datafile index 31 using 1:2 notitle with lines lt 11 lc rgb '#888888' lw 1 dt 2
# panel 5
set lmargin at screen 0.38185; set rmargin at screen 0.65394
set bmargin at screen 0.53126; set tmargin at screen 0.72742
set title 'Gaussian 256x1024, fp32: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 32 using 1:2 notitle with linespoints lt 1, \
     datafile index 33 using 1:2 notitle with linespoints lt 2, \
     datafile index 34 using 1:2 notitle with linespoints lt 3, \
     datafile index 35 using 1:2 notitle with linespoints lt 4, \
     datafile index 36 using 1:2 notitle with linespoints lt 5, \
     datafile index 37 using 1:2 notitle with linespoints lt 6, \
     datafile index 38 using 1:2 notitle with linespoints lt 7, \
     datafile index 39 using 1:2 notitle with lines lt 12 lc rgb '#888888' lw 1 dt 2
# panel 6
set lmargin at screen 0.71518; set rmargin at screen 0.98727
set bmargin at screen 0.53126; set tmargin at screen 0.72742
set title 'Gaussian 256x1024, bf16: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 40 using 1:2 notitle with linespoints lt 1, \
     datafile index 41 using 1:2 notitle with linespoints lt 2, \
     datafile index 42 using 1:2 notitle with linespoints lt 3, \
     datafile index 43 using 1:2 notitle with linespoints lt 4, \
     datafile index 44 using 1:2 notitle with linespoints lt 5, \
     datafile index 45 using 1:2 notitle with linespoints lt 6, \
     datafile index 46 using 1:2 notitle with linespoints lt 7, \
     datafile index 47 using 1:2 notitle with lines lt 13 lc rgb '#888888' lw 1 dt 2
# panel 7
set lmargin at screen 0.04852; set rmargin at screen 0.32061
set bmargin at screen 0.28126; set tmargin at screen 0.47742
set title 'power law i^-1 256x1024, fp64: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 48 using 1:2 notitle with linespoints lt 1, \
     datafile index 49 using 1:2 notitle with linespoints lt 2, \
     datafile index 50 using 1:2 notitle with linespoints lt 3, \
     datafile index 51 using 1:2 notitle with linespoints lt 4, \
     datafile index 52 using 1:2 notitle with linespoints lt 5, \
     datafile index 53 using 1:2 notitle with linespoints lt 6, \
     datafile index 54 using 1:2 notitle with linespoints lt 7, \
     datafile index 55 using 1:2 notitle with lines lt 14 lc rgb '#888888' lw 1 dt 2
# panel 8
set lmargin at screen 0.38185; set rmargin at screen 0.65394
set bmargin at screen 0.28126; set tmargin at screen 0.47742
set title 'power law i^-1 256x1024, fp32: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 56 using 1:2 notitle with linespoints lt 1, \
     datafile index 57 using 1:2 notitle with linespoints lt 2, \
     datafile index 58 using 1:2 notitle with linespoints lt 3, \
     datafile index 59 using 1:2 notitle with linespoints lt 4, \
     datafile index 60 using 1:2 notitle with linespoints lt 5, \
     datafile index 61 using 1:2 notitle with linespoints lt 6, \
     datafile index 62 using 1:2 notitle with linespoints lt 7, \
     datafile index 63 using 1:2 notitle with lines lt 15 lc rgb '#888888' lw 1 dt 2
# panel 9
set lmargin at screen 0.71518; set rmargin at screen 0.98727
set bmargin at screen 0.28126; set tmargin at screen 0.47742
set title 'power law i^-1 256x1024, bf16: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 64 using 1:2 notitle with linespoints lt 1, \
     datafile index 65 using 1:2 notitle with linespoints lt 2, \
     datafile index 66 using 1:2 notitle with linespoints lt 3, \
     datafile index 67 using 1:2 notitle with linespoints lt 4, \
     datafile index 68 using 1:2 notitle with linespoints lt 5, \
     datafile index 69 using 1:2 notitle with linespoints lt 6, \
     datafile index 70 using 1:2 notitle with linespoints lt 7, \
     datafile index 71 using 1:2 notitle with lines lt 16 lc rgb '#888888' lw 1 dt 2
# panel 10
set lmargin at screen 0.04852; set rmargin at screen 0.32061
set bmargin at screen 0.03126; set tmargin at screen 0.22742
set title 'power law i^-1 256x1024, fp64: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 72 using 1:2 notitle with linespoints lt 1, \
     datafile index 73 using 1:2 notitle with linespoints lt 2, \
     datafile index 74 using 1:2 notitle with linespoints lt 3, \
     datafile index 75 using 1:2 notitle with linespoints lt 4, \
     datafile index 76 using 1:2 notitle with linespoints lt 5, \
     datafile index 77 using 1:2 notitle with linespoints lt 6, \
     datafile index 78 using 1:2 notitle with linespoints lt 7, \
     datafile index 79 using 1:2 notitle with lines lt 17 lc rgb '#888888' lw 1 dt 2
# panel 11
set lmargin at screen 0.38185; set rmargin at screen 0.65394
set bmargin at screen 0.03126; set tmargin at screen 0.22742
set title 'power law i^-1 256x1024, fp32: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 80 using 1:2 notitle with linespoints lt 1, \
     datafile index 81 using 1:2 notitle with linespoints lt 2, \
     datafile index 82 using 1:2 notitle with linespoints lt 3, \
     datafile index 83 using 1:2 notitle with linespoints lt 4, \
     datafile index 84 using 1:2 notitle with linespoints lt 5, \
     datafile index 85 using 1:2 notitle with linespoints lt 6, \
     datafile index 86 using 1:2 notitle with linespoints lt 7, \
     datafile index 87 using 1:2 notitle with lines lt 18 lc rgb '#888888' lw 1 dt 2
# panel 12
set lmargin at screen 0.71518; set rmargin at screen 0.98727
set bmargin at screen 0.03126; set tmargin at screen 0.22742
set title 'power law i^-1 256x1024, bf16: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 88 using 1:2 notitle with linespoints lt 1, \
     datafile index 89 using 1:2 notitle with linespoints lt 2, \
     datafile index 90 using 1:2 notitle with linespoints lt 3, \
     datafile index 91 using 1:2 notitle with linespoints lt 4, \
     datafile index 92 using 1:2 notitle with linespoints lt 5, \
     datafile index 93 using 1:2 notitle with linespoints lt 6, \
     datafile index 94 using 1:2 notitle with linespoints lt 7, \
     datafile index 95 using 1:2 notitle with lines lt 19 lc rgb '#888888' lw 1 dt 2
unset multiplot
unset output

set terminal svg size 1650,1900 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot
# panel 1
set lmargin at screen 0.04852; set rmargin at screen 0.32061
set bmargin at screen 0.78126; set tmargin at screen 0.97742
set title 'Gaussian 256x1024, fp64: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
set key default
set key reverse Left samplen 3 spacing 1.1
set key bottom left
plot datafile index 0 using 1:2 title 'cubic' noenhanced with linespoints lt 1, \
     datafile index 1 using 1:2 title 'quintic' noenhanced with linespoints lt 2, \
     datafile index 2 using 1:2 title 'jordan' noenhanced with linespoints lt 3, \
     datafile index 3 using 1:2 title 'you' noenhanced with linespoints lt 4, \
     datafile index 4 using 1:2 title 'polar_express' noenhanced with linespoints lt 5, \
     datafile index 5 using 1:2 title 'cans' noenhanced with linespoints lt 6, \
     datafile index 6 using 1:2 title 'PE bare' noenhanced with linespoints lt 7, \
     datafile index 7 using 1:2 notitle with lines lt 8 lc rgb '#888888' lw 1 dt 2
# panel 2
set lmargin at screen 0.38185; set rmargin at screen 0.65394
set bmargin at screen 0.78126; set tmargin at screen 0.97742
set title 'Gaussian 256x1024, fp32: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 8 using 1:2 notitle with linespoints lt 1, \
     datafile index 9 using 1:2 notitle with linespoints lt 2, \
     datafile index 10 using 1:2 notitle with linespoints lt 3, \
     datafile index 11 using 1:2 notitle with linespoints lt 4, \
     datafile index 12 using 1:2 notitle with linespoints lt 5, \
     datafile index 13 using 1:2 notitle with linespoints lt 6, \
     datafile index 14 using 1:2 notitle with linespoints lt 7, \
     datafile index 15 using 1:2 notitle with lines lt 9 lc rgb '#888888' lw 1 dt 2
# panel 3
set lmargin at screen 0.71518; set rmargin at screen 0.98727
set bmargin at screen 0.78126; set tmargin at screen 0.97742
set title 'Gaussian 256x1024, bf16: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 16 using 1:2 notitle with linespoints lt 1, \
     datafile index 17 using 1:2 notitle with linespoints lt 2, \
     datafile index 18 using 1:2 notitle with linespoints lt 3, \
     datafile index 19 using 1:2 notitle with linespoints lt 4, \
     datafile index 20 using 1:2 notitle with linespoints lt 5, \
     datafile index 21 using 1:2 notitle with linespoints lt 6, \
     datafile index 22 using 1:2 notitle with linespoints lt 7, \
     datafile index 23 using 1:2 notitle with lines lt 10 lc rgb '#888888' lw 1 dt 2
# panel 4
set lmargin at screen 0.04852; set rmargin at screen 0.32061
set bmargin at screen 0.53126; set tmargin at screen 0.72742
set title 'Gaussian 256x1024, fp64: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 24 using 1:2 notitle with linespoints lt 1, \
     datafile index 25 using 1:2 notitle with linespoints lt 2, \
     datafile index 26 using 1:2 notitle with linespoints lt 3, \
     datafile index 27 using 1:2 notitle with linespoints lt 4, \
     datafile index 28 using 1:2 notitle with linespoints lt 5, \
     datafile index 29 using 1:2 notitle with linespoints lt 6, \
     datafile index 30 using 1:2 notitle with linespoints lt 7, \
     datafile index 31 using 1:2 notitle with lines lt 11 lc rgb '#888888' lw 1 dt 2
# panel 5
set lmargin at screen 0.38185; set rmargin at screen 0.65394
set bmargin at screen 0.53126; set tmargin at screen 0.72742
set title 'Gaussian 256x1024, fp32: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 32 using 1:2 notitle with linespoints lt 1, \
     datafile index 33 using 1:2 notitle with linespoints lt 2, \
     datafile index 34 using 1:2 notitle with linespoints lt 3, \
     datafile index 35 using 1:2 notitle with linespoints lt 4, \
     datafile index 36 using 1:2 notitle with linespoints lt 5, \
     datafile index 37 using 1:2 notitle with linespoints lt 6, \
     datafile index 38 using 1:2 notitle with linespoints lt 7, \
     datafile index 39 using 1:2 notitle with lines lt 12 lc rgb '#888888' lw 1 dt 2
# panel 6
set lmargin at screen 0.71518; set rmargin at screen 0.98727
set bmargin at screen 0.53126; set tmargin at screen 0.72742
set title 'Gaussian 256x1024, bf16: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 40 using 1:2 notitle with linespoints lt 1, \
     datafile index 41 using 1:2 notitle with linespoints lt 2, \
     datafile index 42 using 1:2 notitle with linespoints lt 3, \
     datafile index 43 using 1:2 notitle with linespoints lt 4, \
     datafile index 44 using 1:2 notitle with linespoints lt 5, \
     datafile index 45 using 1:2 notitle with linespoints lt 6, \
     datafile index 46 using 1:2 notitle with linespoints lt 7, \
     datafile index 47 using 1:2 notitle with lines lt 13 lc rgb '#888888' lw 1 dt 2
# panel 7
set lmargin at screen 0.04852; set rmargin at screen 0.32061
set bmargin at screen 0.28126; set tmargin at screen 0.47742
set title 'power law i^-1 256x1024, fp64: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 48 using 1:2 notitle with linespoints lt 1, \
     datafile index 49 using 1:2 notitle with linespoints lt 2, \
     datafile index 50 using 1:2 notitle with linespoints lt 3, \
     datafile index 51 using 1:2 notitle with linespoints lt 4, \
     datafile index 52 using 1:2 notitle with linespoints lt 5, \
     datafile index 53 using 1:2 notitle with linespoints lt 6, \
     datafile index 54 using 1:2 notitle with linespoints lt 7, \
     datafile index 55 using 1:2 notitle with lines lt 14 lc rgb '#888888' lw 1 dt 2
# panel 8
set lmargin at screen 0.38185; set rmargin at screen 0.65394
set bmargin at screen 0.28126; set tmargin at screen 0.47742
set title 'power law i^-1 256x1024, fp32: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 56 using 1:2 notitle with linespoints lt 1, \
     datafile index 57 using 1:2 notitle with linespoints lt 2, \
     datafile index 58 using 1:2 notitle with linespoints lt 3, \
     datafile index 59 using 1:2 notitle with linespoints lt 4, \
     datafile index 60 using 1:2 notitle with linespoints lt 5, \
     datafile index 61 using 1:2 notitle with linespoints lt 6, \
     datafile index 62 using 1:2 notitle with linespoints lt 7, \
     datafile index 63 using 1:2 notitle with lines lt 15 lc rgb '#888888' lw 1 dt 2
# panel 9
set lmargin at screen 0.71518; set rmargin at screen 0.98727
set bmargin at screen 0.28126; set tmargin at screen 0.47742
set title 'power law i^-1 256x1024, bf16: distance to polar' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X - UV^T||_F / ||UV^T||_F' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 64 using 1:2 notitle with linespoints lt 1, \
     datafile index 65 using 1:2 notitle with linespoints lt 2, \
     datafile index 66 using 1:2 notitle with linespoints lt 3, \
     datafile index 67 using 1:2 notitle with linespoints lt 4, \
     datafile index 68 using 1:2 notitle with linespoints lt 5, \
     datafile index 69 using 1:2 notitle with linespoints lt 6, \
     datafile index 70 using 1:2 notitle with linespoints lt 7, \
     datafile index 71 using 1:2 notitle with lines lt 16 lc rgb '#888888' lw 1 dt 2
# panel 10
set lmargin at screen 0.04852; set rmargin at screen 0.32061
set bmargin at screen 0.03126; set tmargin at screen 0.22742
set title 'power law i^-1 256x1024, fp64: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 72 using 1:2 notitle with linespoints lt 1, \
     datafile index 73 using 1:2 notitle with linespoints lt 2, \
     datafile index 74 using 1:2 notitle with linespoints lt 3, \
     datafile index 75 using 1:2 notitle with linespoints lt 4, \
     datafile index 76 using 1:2 notitle with linespoints lt 5, \
     datafile index 77 using 1:2 notitle with linespoints lt 6, \
     datafile index 78 using 1:2 notitle with linespoints lt 7, \
     datafile index 79 using 1:2 notitle with lines lt 17 lc rgb '#888888' lw 1 dt 2
# panel 11
set lmargin at screen 0.38185; set rmargin at screen 0.65394
set bmargin at screen 0.03126; set tmargin at screen 0.22742
set title 'power law i^-1 256x1024, fp32: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 80 using 1:2 notitle with linespoints lt 1, \
     datafile index 81 using 1:2 notitle with linespoints lt 2, \
     datafile index 82 using 1:2 notitle with linespoints lt 3, \
     datafile index 83 using 1:2 notitle with linespoints lt 4, \
     datafile index 84 using 1:2 notitle with linespoints lt 5, \
     datafile index 85 using 1:2 notitle with linespoints lt 6, \
     datafile index 86 using 1:2 notitle with linespoints lt 7, \
     datafile index 87 using 1:2 notitle with lines lt 18 lc rgb '#888888' lw 1 dt 2
# panel 12
set lmargin at screen 0.71518; set rmargin at screen 0.98727
set bmargin at screen 0.03126; set tmargin at screen 0.22742
set title 'power law i^-1 256x1024, bf16: orthogonality' noenhanced font ',13'
set xlabel 'NS steps' noenhanced
set ylabel '||X X^T - I||_2' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set logscale y 10
set format y '10^{%L}'
set mytics default
set yrange [9.9999999999999998e-17:10]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 88 using 1:2 notitle with linespoints lt 1, \
     datafile index 89 using 1:2 notitle with linespoints lt 2, \
     datafile index 90 using 1:2 notitle with linespoints lt 3, \
     datafile index 91 using 1:2 notitle with linespoints lt 4, \
     datafile index 92 using 1:2 notitle with linespoints lt 5, \
     datafile index 93 using 1:2 notitle with linespoints lt 6, \
     datafile index 94 using 1:2 notitle with linespoints lt 7, \
     datafile index 95 using 1:2 notitle with lines lt 19 lc rgb '#888888' lw 1 dt 2
unset multiplot
unset output
