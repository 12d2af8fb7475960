package dev.s3c.monitor.live;

/**
 * A latency histogram on fixed, geometric buckets (1 ms growing by a quarter each, up to about 10 minutes):
 * cheap to add to and to merge, so per-second histograms fold into any window. Percentiles are the upper bound of
 * the bucket they fall in, within 25%.
 */
final class Latencies {

    private static final double[] BOUNDS_MS;

    static {
        int n = 0;
        double[] bounds = new double[80];
        for (double b = 1; b < 600_000; b *= 1.25) {
            bounds[n++] = b;
        }
        BOUNDS_MS = java.util.Arrays.copyOf(bounds, n);
    }

    private final int[] counts = new int[BOUNDS_MS.length + 1];
    private long total;

    void add(long millis) {
        int i = java.util.Arrays.binarySearch(BOUNDS_MS, Math.max(0, millis));
        counts[i >= 0 ? i : -i - 1]++;
        total++;
    }

    void addAll(Latencies other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
    }

    long count() {
        return total;
    }

    /** The q-quantile in milliseconds (0 when empty). */
    long percentile(double q) {
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return i < BOUNDS_MS.length ? Math.round(BOUNDS_MS[i]) : Math.round(BOUNDS_MS[BOUNDS_MS.length - 1]);
            }
        }
        return Math.round(BOUNDS_MS[BOUNDS_MS.length - 1]);
    }
}
