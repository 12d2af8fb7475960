import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a G1 young collection copied: the objects in the survivor regions of a heap dump taken right after one, by
 * class and by what holds them. A tool for the README's Performance section, not part of the platform.
 *
 * <pre>
 *   # G1's region table at each collection, logged from the start (reconfiguring logging of a running JVM with
 *   # jcmd VM.log was followed by a crash once):
 *   S3C_JAVA_OPTS="-Xms3g -Xmx3g -XX:+AlwaysPreTouch \
 *       -Xlog:gc+heap+region=trace,gc=info:file=/tmp/regions.log" ./run-local.sh
 *   # right after a "Pause Young" line appears in /tmp/regions.log (attach once before, so the dump follows quickly):
 *   jcmd PID GC.heap_dump -all /tmp/heap.hprof                                 # -all: no full collection first
 *   java -Xmx8g bench/SurvivorDump.java /tmp/heap.hprof /tmp/regions.log 'GC(70)'   # the last collection before it
 * </pre>
 *
 * A HotSpot heap dump names each object by its address, and the region table says which regions were survivor
 * regions after that collection, so the objects in them are what it copied (new objects go to eden regions, which
 * were free in that table). Each survivor is counted under its topmost survivor ancestor (following one referrer at
 * a time, from outside the regions that were free) and that ancestor's own referrer: "root or eden" is a thread's
 * stack, another root, an object allocated since, or nothing: the dump comes a moment after the collection, and what
 * was let go meanwhile has no referrer left.
 */
public class SurvivorDump {

    private static final long REGION_BYTES_DEFAULT = 8L << 20;

    private int idSize;
    private long heapBase;
    private long regionBytes = REGION_BYTES_DEFAULT;
    private char[] regionTypes;
    private final Map<Long, String> strings = new HashMap<>();
    private final Map<Long, String> classNames = new HashMap<>();
    private final Map<Long, Long> superclass = new HashMap<>();
    private final Map<Long, byte[]> fieldTypes = new HashMap<>();
    private final Map<Long, long[]> fieldNames = new HashMap<>();
    private final Map<Long, String> survivorClass = new HashMap<>();
    private final Map<Long, Long> survivorBytes = new HashMap<>();
    private final Map<Long, Long> referrer = new HashMap<>();
    private final Map<Long, String> referrerName = new HashMap<>();
    private final Map<String, long[]> byClass = new HashMap<>();

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: java bench/SurvivorDump.java HEAP.hprof REGIONS.log 'GC(n)'");
            System.exit(2);
        }
        var dump = new SurvivorDump();
        dump.readRegions(Path.of(args[1]), args[2]);
        dump.scan(Path.of(args[0]), false);
        dump.scan(Path.of(args[0]), true);
        dump.report();
    }

    /** The region table G1 logged after collection {@code gc}: each region's type by its index. */
    private void readRegions(Path log, String gc) throws IOException {
        List<String> lines = Files.readAllLines(log);
        int last = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(gc + " Heap Regions:")) {
                last = i;
            }
        }
        if (last < 0) {
            throw new IllegalArgumentException("no region table for " + gc + " in " + log);
        }
        List<Character> types = new ArrayList<>();
        for (int i = last + 1; i < lines.size() && lines.get(i).contains("|0x"); i++) {
            // "GC(70) |  12|0x...740000000, 0x...740800000, 0x...740800000|100%| S|..."
            String[] fields = lines.get(i).substring(lines.get(i).indexOf(") |") + 2).split("\\|");
            String[] bounds = fields[2].split(",");
            if (types.isEmpty()) {
                heapBase = Long.decode(bounds[0].trim());
                regionBytes = Long.decode(bounds[1].trim()) - heapBase;
            }
            String type = fields[4].trim();
            types.add(type.isEmpty() ? 'F' : type.charAt(0));
        }
        regionTypes = new char[types.size()];
        Map<Character, Integer> counts = new TreeMap<>();
        for (int i = 0; i < regionTypes.length; i++) {
            regionTypes[i] = types.get(i);
            counts.merge(regionTypes[i], 1, Integer::sum);
        }
        System.out.printf("%s: regions of %d MB by type %s (E eden, S survivor, O old, H humongous, F free)%n", gc,
                regionBytes >> 20, counts);
    }

    private char regionType(long address) {
        long region = (address - heapBase) / regionBytes;
        return region < 0 || region >= regionTypes.length ? '?' : regionTypes[(int) region];
    }

    /** First pass: names, class layouts and the survivors; second: who refers to each survivor. */
    private void scan(Path file, boolean referrers) throws IOException {
        try (var in = new DataInputStream(new BufferedInputStream(new FileInputStream(file.toFile()), 1 << 20))) {
            while (in.read() != 0) {
                // the header's version string
            }
            idSize = in.readInt();
            in.readLong();
            for (int tag = in.read(); tag >= 0; tag = in.read()) {
                in.readInt();
                long length = Integer.toUnsignedLong(in.readInt());
                if (tag == 0x01 && !referrers) {
                    long id = id(in);
                    byte[] text = new byte[(int) (length - idSize)];
                    in.readFully(text);
                    strings.put(id, new String(text, StandardCharsets.UTF_8));
                } else if (tag == 0x02 && !referrers) {
                    in.readInt();
                    long classId = id(in);
                    in.readInt();
                    classNames.put(classId, strings.get(id(in)).replace('/', '.'));
                } else if (tag == 0x0C || tag == 0x1C) {
                    heapRecords(in, length, referrers);
                } else {
                    skip(in, length);
                }
            }
        }
    }

    private void heapRecords(DataInputStream in, long length, boolean referrers) throws IOException {
        long read = 0;
        while (read < length) {
            int type = in.readUnsignedByte();
            read++;
            switch (type) {
                case 0xFF, 0x05, 0x07 -> read += skip(in, idSize);
                case 0x01 -> read += skip(in, 2L * idSize);
                case 0x02, 0x03, 0x08 -> read += skip(in, idSize + 8L);
                case 0x04, 0x06 -> read += skip(in, idSize + 4L);
                case 0x20 -> read += classDump(in);
                case 0x21 -> {
                    long object = id(in);
                    in.readInt();
                    long classId = id(in);
                    int size = in.readInt();
                    read += 2L * idSize + 8 + size;
                    byte[] fields = new byte[size];
                    in.readFully(fields);
                    if (!referrers) {
                        found(object, className(classId), align(12 + size));
                    } else if (outsideEden(object)) {
                        instanceReferences(object, classId, ByteBuffer.wrap(fields));
                    }
                }
                case 0x22 -> {
                    long object = id(in);
                    in.readInt();
                    int count = in.readInt();
                    long classId = id(in);
                    read += 2L * idSize + 8 + (long) count * idSize;
                    if (!referrers) {
                        found(object, className(classId), align(16 + 4L * count));
                        skip(in, (long) count * idSize);
                    } else {
                        boolean counted = outsideEden(object);
                        for (int i = 0; i < count; i++) {
                            long target = id(in);
                            if (counted) {
                                referenced(target, object, className(classId));
                            }
                        }
                    }
                }
                case 0x23 -> {
                    long object = id(in);
                    in.readInt();
                    int count = in.readInt();
                    int elementType = in.readUnsignedByte();
                    long bytes = (long) count * size(elementType);
                    read += idSize + 9 + bytes;
                    skip(in, bytes);
                    if (!referrers) {
                        found(object, primitiveArray(elementType), align(16 + bytes));
                    }
                }
                default -> throw new IllegalStateException("unknown heap record " + Integer.toHexString(type));
            }
        }
    }

    private long classDump(DataInputStream in) throws IOException {
        long classId = id(in);
        in.readInt();
        long superId = id(in);
        long read = skip(in, 5L * idSize) + 2L * idSize + 4;
        in.readInt();
        read += 4;
        int constants = in.readUnsignedShort();
        read += 2;
        for (int i = 0; i < constants; i++) {
            in.readUnsignedShort();
            read += 3 + skip(in, size(in.readUnsignedByte()));
        }
        int statics = in.readUnsignedShort();
        read += 2;
        for (int i = 0; i < statics; i++) {
            id(in);
            read += idSize + 1 + skip(in, size(in.readUnsignedByte()));
        }
        int count = in.readUnsignedShort();
        read += 2;
        byte[] types = new byte[count];
        long[] names = new long[count];
        for (int i = 0; i < count; i++) {
            names[i] = id(in);
            types[i] = (byte) in.readUnsignedByte();
            read += idSize + 1;
        }
        superclass.put(classId, superId);
        fieldTypes.put(classId, types);
        fieldNames.put(classId, names);
        return read;
    }

    /** An instance's reference fields, its class's first, then its superclasses'. */
    private void instanceReferences(long object, long classId, ByteBuffer fields) {
        for (long c = classId; c != 0 && fieldTypes.containsKey(c); c = superclass.getOrDefault(c, 0L)) {
            byte[] types = fieldTypes.get(c);
            long[] names = fieldNames.get(c);
            for (int i = 0; i < types.length; i++) {
                if (types[i] == 2) {
                    long target = idSize == 8 ? fields.getLong() : Integer.toUnsignedLong(fields.getInt());
                    referenced(target, object, className(classId) + "." + strings.get(names[i]));
                } else {
                    fields.position(fields.position() + size(types[i]));
                }
            }
        }
    }

    private boolean outsideEden(long object) {
        char type = regionType(object);
        return type != 'F' && type != 'E';
    }

    private void found(long object, String className, long bytes) {
        char type = regionType(object);
        if (type == 'S') {
            survivorClass.put(object, className);
            survivorBytes.put(object, bytes);
            long[] sum = byClass.computeIfAbsent(className, k -> new long[2]);
            sum[0]++;
            sum[1] += bytes;
        }
    }

    private void referenced(long target, long from, String name) {
        if (target != 0 && survivorClass.containsKey(target) && !referrer.containsKey(target)) {
            referrer.put(target, from);
            referrerName.put(target, (survivorClass.containsKey(from) ? "S " : regionType(from) + " ") + name);
        }
    }

    private void report() {
        long total = survivorBytes.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("%nsurvivors: %,d objects, %,d KB%n%nby class:%n", survivorBytes.size(), total >> 10);
        print(byClass, 25);
        Map<String, long[]> byHolder = new HashMap<>();
        for (var survivor : survivorClass.entrySet()) {
            long top = survivor.getKey();
            for (int depth = 0; depth < 10_000; depth++) {
                Long up = referrer.get(top);
                if (up == null || !survivorClass.containsKey(up)) {
                    break;
                }
                top = up;
            }
            String key = survivorClass.get(top) + "  <-  " + referrerName.getOrDefault(top, "root or eden");
            long[] sum = byHolder.computeIfAbsent(key, k -> new long[2]);
            sum[0]++;
            sum[1] += survivorBytes.get(survivor.getKey());
        }
        System.out.printf("%nby topmost survivor ancestor  <-  its referrer (region, class.field):%n");
        print(byHolder, 40);
    }

    private static void print(Map<String, long[]> sums, int limit) {
        sums.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).limit(limit)
                .forEach(e -> System.out.printf("%,10d KB %,10d objects  %s%n", e.getValue()[1] >> 10,
                        e.getValue()[0], e.getKey()));
    }

    private String className(long classId) {
        return classNames.getOrDefault(classId, "class@" + Long.toHexString(classId));
    }

    private static String primitiveArray(int elementType) {
        return switch (elementType) {
            case 4 -> "boolean[]";
            case 5 -> "char[]";
            case 6 -> "float[]";
            case 7 -> "double[]";
            case 8 -> "byte[]";
            case 9 -> "short[]";
            case 10 -> "int[]";
            case 11 -> "long[]";
            default -> "type" + elementType + "[]";
        };
    }

    private int size(int type) {
        return switch (type) {
            case 2 -> idSize;
            case 4, 8 -> 1;
            case 5, 9 -> 2;
            case 6, 10 -> 4;
            case 7, 11 -> 8;
            default -> throw new IllegalStateException("unknown value type " + type);
        };
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }

    private long id(DataInputStream in) throws IOException {
        return idSize == 8 ? in.readLong() : Integer.toUnsignedLong(in.readInt());
    }

    private static long skip(DataInputStream in, long bytes) throws IOException {
        long left = bytes;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                in.readByte();
                skipped = 1;
            }
            left -= skipped;
        }
        return bytes;
    }
}
