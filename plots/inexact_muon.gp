# muonlab figure inexact_muon: data in inexact_muon.dat, one index block per series.
# Re-render from this directory: gnuplot inexact_muon.gp
if (!exists('datafile')) datafile = 'inexact_muon.dat'
if (!exists('out_png')) out_png = 'inexact_muon.png'
if (!exists('out_svg')) out_svg = 'inexact_muon.svg'

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
set multiplot title 'Inexact Muon on the MLP (Fashion-MNIST, 150 steps): best hyperparameters vs orthogonalization error' noenhanced font ',14'
# panel 1
set lmargin at screen 0.04745; set rmargin at screen 0.31955
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'best learning rate' noenhanced font ',13'
set xlabel '||O - polar(M)||_F / ||polar(M)||_F' noenhanced
set ylabel 'learning rate' noenhanced
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
plot datafile index 0 using 1:2 notitle with points lt 1 pt 7 ps 1.5, \
     datafile index 1 using 1:2 notitle with linespoints lt 1 pt 6 dt 2, \
     datafile index 2 using 1:2 notitle with points lt 2 pt 7 ps 1.5, \
     datafile index 3 using 1:2 notitle with linespoints lt 2 pt 6 dt 2, \
     datafile index 4 using 1:2 notitle with points lt 4 pt 9 ps 2.2
# panel 2
set lmargin at screen 0.38079; set rmargin at screen 0.65288
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'best momentum' noenhanced font ',13'
set xlabel '||O - polar(M)||_F / ||polar(M)||_F' noenhanced
set ylabel 'beta' noenhanced
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
unset key
plot datafile index 5 using 1:2 notitle with points lt 1 pt 7 ps 1.5, \
     datafile index 6 using 1:2 notitle with linespoints lt 1 pt 6 dt 2, \
     datafile index 7 using 1:2 notitle with points lt 2 pt 7 ps 1.5, \
     datafile index 8 using 1:2 notitle with linespoints lt 2 pt 6 dt 2, \
     datafile index 9 using 1:2 notitle with points lt 4 pt 9 ps 2.2
# panel 3
set lmargin at screen 0.71412; set rmargin at screen 0.98621
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'effective step lr / (1 - beta)' noenhanced font ',13'
set xlabel '||O - polar(M)||_F / ||polar(M)||_F' noenhanced
set ylabel 'lr / (1 - beta)' noenhanced
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
plot datafile index 10 using 1:2 notitle with points lt 1 pt 7 ps 1.5, \
     datafile index 11 using 1:2 notitle with linespoints lt 1 pt 6 dt 2, \
     datafile index 12 using 1:2 notitle with points lt 2 pt 7 ps 1.5, \
     datafile index 13 using 1:2 notitle with linespoints lt 2 pt 6 dt 2, \
     datafile index 14 using 1:2 notitle with points lt 4 pt 9 ps 2.2
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.07298
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 5 maxrows 1
plot NaN notitle, keyentry with points lt 1 pt 7 ps 1.5 title 'jordan (1..8 steps): argmin' noenhanced, \
     keyentry with linespoints lt 1 pt 6 dt 2 title 'jordan: near-best mean' noenhanced, \
     keyentry with points lt 2 pt 7 ps 1.5 title 'polar_express (1..8 steps): argmin' noenhanced, \
     keyentry with linespoints lt 2 pt 6 dt 2 title 'polar_express: near-best mean' noenhanced, \
     keyentry with points lt 4 pt 9 ps 2.2 title 'exact polar (SVD)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output

set terminal svg size 1650,520 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title 'Inexact Muon on the MLP (Fashion-MNIST, 150 steps): best hyperparameters vs orthogonalization error' noenhanced font ',14'
# panel 1
set lmargin at screen 0.04745; set rmargin at screen 0.31955
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'best learning rate' noenhanced font ',13'
set xlabel '||O - polar(M)||_F / ||polar(M)||_F' noenhanced
set ylabel 'learning rate' noenhanced
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
plot datafile index 0 using 1:2 notitle with points lt 1 pt 7 ps 1.5, \
     datafile index 1 using 1:2 notitle with linespoints lt 1 pt 6 dt 2, \
     datafile index 2 using 1:2 notitle with points lt 2 pt 7 ps 1.5, \
     datafile index 3 using 1:2 notitle with linespoints lt 2 pt 6 dt 2, \
     datafile index 4 using 1:2 notitle with points lt 4 pt 9 ps 2.2
# panel 2
set lmargin at screen 0.38079; set rmargin at screen 0.65288
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'best momentum' noenhanced font ',13'
set xlabel '||O - polar(M)||_F / ||polar(M)||_F' noenhanced
set ylabel 'beta' noenhanced
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
unset key
plot datafile index 5 using 1:2 notitle with points lt 1 pt 7 ps 1.5, \
     datafile index 6 using 1:2 notitle with linespoints lt 1 pt 6 dt 2, \
     datafile index 7 using 1:2 notitle with points lt 2 pt 7 ps 1.5, \
     datafile index 8 using 1:2 notitle with linespoints lt 2 pt 6 dt 2, \
     datafile index 9 using 1:2 notitle with points lt 4 pt 9 ps 2.2
# panel 3
set lmargin at screen 0.71412; set rmargin at screen 0.98621
set bmargin at screen 0.18721; set tmargin at screen 0.84135
set title 'effective step lr / (1 - beta)' noenhanced font ',13'
set xlabel '||O - polar(M)||_F / ||polar(M)||_F' noenhanced
set ylabel 'lr / (1 - beta)' noenhanced
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
plot datafile index 10 using 1:2 notitle with points lt 1 pt 7 ps 1.5, \
     datafile index 11 using 1:2 notitle with linespoints lt 1 pt 6 dt 2, \
     datafile index 12 using 1:2 notitle with points lt 2 pt 7 ps 1.5, \
     datafile index 13 using 1:2 notitle with linespoints lt 2 pt 6 dt 2, \
     datafile index 14 using 1:2 notitle with points lt 4 pt 9 ps 2.2
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.07298
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 5 maxrows 1
plot NaN notitle, keyentry with points lt 1 pt 7 ps 1.5 title 'jordan (1..8 steps): argmin' noenhanced, \
     keyentry with linespoints lt 1 pt 6 dt 2 title 'jordan: near-best mean' noenhanced, \
     keyentry with points lt 2 pt 7 ps 1.5 title 'polar_express (1..8 steps): argmin' noenhanced, \
     keyentry with linespoints lt 2 pt 6 dt 2 title 'polar_express: near-best mean' noenhanced, \
     keyentry with points lt 4 pt 9 ps 2.2 title 'exact polar (SVD)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output
