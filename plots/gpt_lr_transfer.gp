# muonlab figure gpt_lr_transfer: data in gpt_lr_transfer.dat, one index block per series.
# Re-render from this directory: gnuplot gpt_lr_transfer.gp
if (!exists('datafile')) datafile = 'gpt_lr_transfer.dat'
if (!exists('out_png')) out_png = 'gpt_lr_transfer.png'
if (!exists('out_svg')) out_svg = 'gpt_lr_transfer.svg'

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

set terminal pngcairo size 1600,480 font 'sans,11' enhanced
set output out_png
set multiplot title 'Learning-rate transfer across width: GPT L=2, head size 32, batch 32, 500 steps' noenhanced font ',14'
# panel 1
set lmargin at screen 0.04894; set rmargin at screen 0.31911
set bmargin at screen 0.20281; set tmargin at screen 0.82812
set title 'AdamW' noenhanced font ',13'
set xlabel 'learning rate' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
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
plot datafile index 0 using 1:2 notitle with linespoints lt 1, \
     datafile index 1 using 1:2 notitle with linespoints lt 2, \
     datafile index 2 using 1:2 notitle with linespoints lt 3
# panel 2
set lmargin at screen 0.38227; set rmargin at screen 0.65245
set bmargin at screen 0.20281; set tmargin at screen 0.82812
set title 'Muon, scale sqrt_ratio' noenhanced font ',13'
set xlabel 'learning rate' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
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
plot datafile index 3 using 1:2 notitle with linespoints lt 1, \
     datafile index 4 using 1:2 notitle with linespoints lt 2, \
     datafile index 5 using 1:2 notitle with linespoints lt 3
# panel 3
set lmargin at screen 0.71560; set rmargin at screen 0.98578
set bmargin at screen 0.20281; set tmargin at screen 0.82812
set title 'Muon, scale moonlight' noenhanced font ',13'
set xlabel 'learning rate' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
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
plot datafile index 6 using 1:2 notitle with linespoints lt 1, \
     datafile index 7 using 1:2 notitle with linespoints lt 2, \
     datafile index 8 using 1:2 notitle with linespoints lt 3
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.07906
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 3 maxrows 1
plot NaN notitle, keyentry with linespoints lt 1 title 'C = 64' noenhanced, \
     keyentry with linespoints lt 2 title 'C = 128' noenhanced, \
     keyentry with linespoints lt 3 title 'C = 256' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output

set terminal svg size 1600,480 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title 'Learning-rate transfer across width: GPT L=2, head size 32, batch 32, 500 steps' noenhanced font ',14'
# panel 1
set lmargin at screen 0.04894; set rmargin at screen 0.31911
set bmargin at screen 0.20281; set tmargin at screen 0.82812
set title 'AdamW' noenhanced font ',13'
set xlabel 'learning rate' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
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
plot datafile index 0 using 1:2 notitle with linespoints lt 1, \
     datafile index 1 using 1:2 notitle with linespoints lt 2, \
     datafile index 2 using 1:2 notitle with linespoints lt 3
# panel 2
set lmargin at screen 0.38227; set rmargin at screen 0.65245
set bmargin at screen 0.20281; set tmargin at screen 0.82812
set title 'Muon, scale sqrt_ratio' noenhanced font ',13'
set xlabel 'learning rate' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
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
plot datafile index 3 using 1:2 notitle with linespoints lt 1, \
     datafile index 4 using 1:2 notitle with linespoints lt 2, \
     datafile index 5 using 1:2 notitle with linespoints lt 3
# panel 3
set lmargin at screen 0.71560; set rmargin at screen 0.98578
set bmargin at screen 0.20281; set tmargin at screen 0.82812
set title 'Muon, scale moonlight' noenhanced font ',13'
set xlabel 'learning rate' noenhanced
set ylabel 'final validation loss (nats/char)' noenhanced
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
plot datafile index 6 using 1:2 notitle with linespoints lt 1, \
     datafile index 7 using 1:2 notitle with linespoints lt 2, \
     datafile index 8 using 1:2 notitle with linespoints lt 3
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.07906
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 3 maxrows 1
plot NaN notitle, keyentry with linespoints lt 1 title 'C = 64' noenhanced, \
     keyentry with linespoints lt 2 title 'C = 128' noenhanced, \
     keyentry with linespoints lt 3 title 'C = 256' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output
