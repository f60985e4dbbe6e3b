# muonlab figure linear_icl: data in linear_icl.dat, one index block per series.
# Re-render from this directory: gnuplot linear_icl.gp
if (!exists('datafile')) datafile = 'linear_icl.dat'
if (!exists('out_png')) out_png = 'linear_icl.png'
if (!exists('out_svg')) out_svg = 'linear_icl.svg'

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

set terminal pngcairo size 1650,520 font 'sans,11' enhanced
set output out_png
set multiplot title 'Steps to tolerance vs condition number (best lr per point; open circles: not reached in 2000 steps)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.04215; set rmargin at screen 0.31636
set bmargin at screen 0.25702; set tmargin at screen 0.84135
set title 'ICL, cond(Sigma) = 1000: loss over the best run''s steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'loss / loss of the fitted one-step predictor' noenhanced
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
plot datafile index 0 using 1:2 notitle with lines lt 1 lw 2, \
     datafile index 1 using 1:2 notitle with lines lt 2 lw 2, \
     datafile index 2 using 1:2 notitle with lines lt 3 lw 2, \
     datafile index 3 using 1:2 notitle with lines lt 4 lw 2, \
     datafile index 4 using 1:2 notitle with lines lt 5 lw 2
# panel 2
set lmargin at screen 0.37548; set rmargin at screen 0.64970
set bmargin at screen 0.25702; set tmargin at screen 0.84135
set title 'ICL: steps to 1.05 x reference loss' noenhanced font ',13'
set xlabel 'cond(Sigma)' noenhanced
set ylabel 'steps' noenhanced
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
plot datafile index 5 using 1:2 notitle with linespoints lt 1 pt 7 ps 1.3, \
     datafile index 6 using 1:2 notitle with points lt 1 pt 6 ps 2.6, \
     datafile index 7 using 1:2 notitle with linespoints lt 2 pt 7 ps 1.3, \
     datafile index 8 using 1:2 notitle with points lt 2 pt 6 ps 2.6, \
     datafile index 9 using 1:2 notitle with linespoints lt 3 pt 7 ps 1.3, \
     datafile index 10 using 1:2 notitle with points lt 3 pt 6 ps 2.6, \
     datafile index 11 using 1:2 notitle with linespoints lt 4 pt 7 ps 1.3, \
     datafile index 12 using 1:2 notitle with points lt 4 pt 6 ps 2.6, \
     datafile index 13 using 1:2 notitle with linespoints lt 5 pt 7 ps 1.3
# panel 3
set lmargin at screen 0.70882; set rmargin at screen 0.98303
set bmargin at screen 0.25702; set tmargin at screen 0.84135
set title 'factorisation: steps to error <= sigma_min/10' noenhanced font ',13'
set xlabel 'cond(M*)' noenhanced
set ylabel 'steps' noenhanced
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
plot datafile index 14 using 1:2 notitle with linespoints lt 1 pt 7 ps 1.3, \
     datafile index 15 using 1:2 notitle with points lt 1 pt 6 ps 2.6, \
     datafile index 16 using 1:2 notitle with linespoints lt 2 pt 7 ps 1.3, \
     datafile index 17 using 1:2 notitle with points lt 2 pt 6 ps 2.6, \
     datafile index 18 using 1:2 notitle with linespoints lt 3 pt 7 ps 1.3, \
     datafile index 19 using 1:2 notitle with points lt 3 pt 6 ps 2.6, \
     datafile index 20 using 1:2 notitle with linespoints lt 4 pt 7 ps 1.3, \
     datafile index 21 using 1:2 notitle with points lt 4 pt 6 ps 2.6, \
     datafile index 22 using 1:2 notitle with linespoints lt 5 pt 7 ps 1.3, \
     datafile index 23 using 1:2 notitle with points lt 5 pt 6 ps 2.6
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.14279
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 4 maxrows 3
plot NaN notitle, keyentry with lines lt 1 lw 2 title 'gradient descent (lr 0.3)' noenhanced, \
     keyentry with lines lt 2 lw 2 title 'simplified Muon (polar, constant lr) (lr 0.01)' noenhanced, \
     keyentry with lines lt 3 lw 2 title 'polar x nuclear norm (lr 0.1)' noenhanced, \
     keyentry with lines lt 4 lw 2 title 'Muon (momentum, NS5) (lr 0.1)' noenhanced, \
     keyentry with lines lt 5 lw 2 title 'Adam (lr 0.03)' noenhanced, \
     keyentry with linespoints lt 1 pt 7 ps 1.3 title 'gradient descent' noenhanced, \
     keyentry with linespoints lt 2 pt 7 ps 1.3 title 'simplified Muon (polar, constant lr)' noenhanced, \
     keyentry with linespoints lt 3 pt 7 ps 1.3 title 'polar x nuclear norm' noenhanced, \
     keyentry with linespoints lt 4 pt 7 ps 1.3 title 'Muon (momentum, NS5)' noenhanced, \
     keyentry with linespoints lt 5 pt 7 ps 1.3 title 'Adam' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output

set terminal svg size 1650,520 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title 'Steps to tolerance vs condition number (best lr per point; open circles: not reached in 2000 steps)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.04215; set rmargin at screen 0.31636
set bmargin at screen 0.25702; set tmargin at screen 0.84135
set title 'ICL, cond(Sigma) = 1000: loss over the best run''s steps' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'loss / loss of the fitted one-step predictor' noenhanced
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
plot datafile index 0 using 1:2 notitle with lines lt 1 lw 2, \
     datafile index 1 using 1:2 notitle with lines lt 2 lw 2, \
     datafile index 2 using 1:2 notitle with lines lt 3 lw 2, \
     datafile index 3 using 1:2 notitle with lines lt 4 lw 2, \
     datafile index 4 using 1:2 notitle with lines lt 5 lw 2
# panel 2
set lmargin at screen 0.37548; set rmargin at screen 0.64970
set bmargin at screen 0.25702; set tmargin at screen 0.84135
set title 'ICL: steps to 1.05 x reference loss' noenhanced font ',13'
set xlabel 'cond(Sigma)' noenhanced
set ylabel 'steps' noenhanced
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
plot datafile index 5 using 1:2 notitle with linespoints lt 1 pt 7 ps 1.3, \
     datafile index 6 using 1:2 notitle with points lt 1 pt 6 ps 2.6, \
     datafile index 7 using 1:2 notitle with linespoints lt 2 pt 7 ps 1.3, \
     datafile index 8 using 1:2 notitle with points lt 2 pt 6 ps 2.6, \
     datafile index 9 using 1:2 notitle with linespoints lt 3 pt 7 ps 1.3, \
     datafile index 10 using 1:2 notitle with points lt 3 pt 6 ps 2.6, \
     datafile index 11 using 1:2 notitle with linespoints lt 4 pt 7 ps 1.3, \
     datafile index 12 using 1:2 notitle with points lt 4 pt 6 ps 2.6, \
     datafile index 13 using 1:2 notitle with linespoints lt 5 pt 7 ps 1.3
# panel 3
set lmargin at screen 0.70882; set rmargin at screen 0.98303
set bmargin at screen 0.25702; set tmargin at screen 0.84135
set title 'factorisation: steps to error <= sigma_min/10' noenhanced font ',13'
set xlabel 'cond(M*)' noenhanced
set ylabel 'steps' noenhanced
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
plot datafile index 14 using 1:2 notitle with linespoints lt 1 pt 7 ps 1.3, \
     datafile index 15 using 1:2 notitle with points lt 1 pt 6 ps 2.6, \
     datafile index 16 using 1:2 notitle with linespoints lt 2 pt 7 ps 1.3, \
     datafile index 17 using 1:2 notitle with points lt 2 pt 6 ps 2.6, \
     datafile index 18 using 1:2 notitle with linespoints lt 3 pt 7 ps 1.3, \
     datafile index 19 using 1:2 notitle with points lt 3 pt 6 ps 2.6, \
     datafile index 20 using 1:2 notitle with linespoints lt 4 pt 7 ps 1.3, \
     datafile index 21 using 1:2 notitle with points lt 4 pt 6 ps 2.6, \
     datafile index 22 using 1:2 notitle with linespoints lt 5 pt 7 ps 1.3, \
     datafile index 23 using 1:2 notitle with points lt 5 pt 6 ps 2.6
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.14279
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 4 maxrows 3
plot NaN notitle, keyentry with lines lt 1 lw 2 title 'gradient descent (lr 0.3)' noenhanced, \
     keyentry with lines lt 2 lw 2 title 'simplified Muon (polar, constant lr) (lr 0.01)' noenhanced, \
     keyentry with lines lt 3 lw 2 title 'polar x nuclear norm (lr 0.1)' noenhanced, \
     keyentry with lines lt 4 lw 2 title 'Muon (momentum, NS5) (lr 0.1)' noenhanced, \
     keyentry with lines lt 5 lw 2 title 'Adam (lr 0.03)' noenhanced, \
     keyentry with linespoints lt 1 pt 7 ps 1.3 title 'gradient descent' noenhanced, \
     keyentry with linespoints lt 2 pt 7 ps 1.3 title 'simplified Muon (polar, constant lr)' noenhanced, \
     keyentry with linespoints lt 3 pt 7 ps 1.3 title 'polar x nuclear norm' noenhanced, \
     keyentry with linespoints lt 4 pt 7 ps 1.3 title 'Muon (momentum, NS5)' noenhanced, \
     keyentry with linespoints lt 5 pt 7 ps 1.3 title 'Adam' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output
