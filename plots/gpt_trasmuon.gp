# muonlab figure gpt_trasmuon: data in gpt_trasmuon.dat, one index block per series.
# Re-render from this directory: gnuplot gpt_trasmuon.gp
if (!exists('datafile')) datafile = 'gpt_trasmuon.dat'
if (!exists('out_png')) out_png = 'gpt_trasmuon.png'
if (!exists('out_svg')) out_svg = 'gpt_trasmuon.svg'

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

set terminal pngcairo size 1500,500 font 'sans,11' enhanced
set output out_png
set multiplot title 'TrasMuon ablation on the GPT C=128, 500 steps, each variant at its best rate, mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.05220; set rmargin at screen 0.48367
set bmargin at screen 0.19470; set tmargin at screen 0.83500
set title 'column energy of W_qkv: max / median' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'max_j E_j / median_j E_j' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 notitle with lines lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 notitle with lines lt 2, \
     datafile index 4 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 5 using 1:2 notitle with lines lt 3, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 7 using 1:2 notitle with lines lt 4, \
     datafile index 8 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 9 using 1:2 notitle with lines lt 5
# panel 2
set lmargin at screen 0.55220; set rmargin at screen 0.98367
set bmargin at screen 0.19470; set tmargin at screen 0.83500
set title 'validation loss' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'nats/char' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 10 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 11 using 1:2 notitle with linespoints lt 1, \
     datafile index 12 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 13 using 1:2 notitle with linespoints lt 2, \
     datafile index 14 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 15 using 1:2 notitle with linespoints lt 3, \
     datafile index 16 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 17 using 1:2 notitle with linespoints lt 4, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 19 using 1:2 notitle with linespoints lt 5
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.07590
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 5 maxrows 1
plot NaN notitle, keyentry with linespoints lt 1 title 'TrasMuon (lr 0.001)' noenhanced, \
     keyentry with linespoints lt 2 title 'no energy damping (lr 0.001)' noenhanced, \
     keyentry with linespoints lt 3 title 'no row scale (lr 0.002)' noenhanced, \
     keyentry with linespoints lt 4 title 'no RMS calibration (lr 0.001)' noenhanced, \
     keyentry with linespoints lt 5 title 'Muon (lr 0.01)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output

set terminal svg size 1500,500 font 'sans,11' enhanced background rgb 'white'
set output out_svg
set multiplot title 'TrasMuon ablation on the GPT C=128, 500 steps, each variant at its best rate, mean and min..max over 3 seed(s)' noenhanced font ',14'
# panel 1
set lmargin at screen 0.05220; set rmargin at screen 0.48367
set bmargin at screen 0.19470; set tmargin at screen 0.83500
set title 'column energy of W_qkv: max / median' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'max_j E_j / median_j E_j' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 0 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 1 using 1:2 notitle with lines lt 1, \
     datafile index 2 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 3 using 1:2 notitle with lines lt 2, \
     datafile index 4 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 5 using 1:2 notitle with lines lt 3, \
     datafile index 6 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 7 using 1:2 notitle with lines lt 4, \
     datafile index 8 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 9 using 1:2 notitle with lines lt 5
# panel 2
set lmargin at screen 0.55220; set rmargin at screen 0.98367
set bmargin at screen 0.19470; set tmargin at screen 0.83500
set title 'validation loss' noenhanced font ',13'
set xlabel 'step' noenhanced
set ylabel 'nats/char' noenhanced
unset logscale
set format x '% h'
unset mxtics
set xrange [*:*]
set format y '% h'
unset mytics
set yrange [*:*]
unset grid
set grid xtics ytics back ls 100
unset key
plot datafile index 10 using 1:3:4 notitle with filledcurves lt 1, \
     datafile index 11 using 1:2 notitle with linespoints lt 1, \
     datafile index 12 using 1:3:4 notitle with filledcurves lt 2, \
     datafile index 13 using 1:2 notitle with linespoints lt 2, \
     datafile index 14 using 1:3:4 notitle with filledcurves lt 3, \
     datafile index 15 using 1:2 notitle with linespoints lt 3, \
     datafile index 16 using 1:3:4 notitle with filledcurves lt 4, \
     datafile index 17 using 1:2 notitle with linespoints lt 4, \
     datafile index 18 using 1:3:4 notitle with filledcurves lt 5, \
     datafile index 19 using 1:2 notitle with linespoints lt 5
# shared key
set lmargin at screen 0.00000; set rmargin at screen 1.00000
set bmargin at screen 0.00000; set tmargin at screen 0.07590
unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border
unset xtics; unset ytics; unset mxtics; unset mytics
set xrange [0:1]; set yrange [0:1]
set key default
set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols 5 maxrows 1
plot NaN notitle, keyentry with linespoints lt 1 title 'TrasMuon (lr 0.001)' noenhanced, \
     keyentry with linespoints lt 2 title 'no energy damping (lr 0.001)' noenhanced, \
     keyentry with linespoints lt 3 title 'no row scale (lr 0.002)' noenhanced, \
     keyentry with linespoints lt 4 title 'no RMS calibration (lr 0.001)' noenhanced, \
     keyentry with linespoints lt 5 title 'Muon (lr 0.01)' noenhanced
set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics
unset multiplot
unset output
