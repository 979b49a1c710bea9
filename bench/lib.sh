# Shared by the benchmark scripts: measuring a process and printing a row.

# CPU seconds (user + system) and peak RSS (KiB) of a live process
cpu_of() { awk '{print ($14+$15)/'"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
rss_of() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }
# row NAME LINES SECONDS CPU_SECONDS RSS_KIB
row() {
  awk -v n="$1" -v l="$2" -v s="$3" -v c="$4" -v r="$5" 'BEGIN{
    printf "| %s | %d | %.2f | %.0f | %.2f | %.1f |\n", n, l, s, l/s, c*1000000/l, r/1024 }'
}
