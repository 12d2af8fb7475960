import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.management.InstanceNotFoundException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The local run's broker as it sees its requests: how many of each kind it served, how long they took (in its request
 * queue, handling them, waiting on others such as a transaction's verification, in its response queue, sending), and
 * which it answered with an error. Read from the broker's JMX metrics through the attach API, so the platform needs no
 * flag. Run it twice around a load to compare: with {@code -Dsave=FILE} it also keeps the totals, and with
 * {@code -Dsince=FILE} it prints the averages over the time since that file was saved.
 *
 * <pre>
 *   java bench/BrokerRequests.java [pid]          (default: the running local-cluster jar)
 * </pre>
 */
public class BrokerRequests {

    static final String[] REQUESTS = {"Produce", "FetchConsumer", "TxnOffsetCommit", "EndTxn", "WriteTxnMarkers",
            "AddPartitionsToTxn", "OffsetCommit", "FindCoordinator", "InitProducerId"};
    static final String[] PARTS = {"TotalTimeMs", "RequestQueueTimeMs", "LocalTimeMs", "RemoteTimeMs",
            "ResponseQueueTimeMs", "ResponseSendTimeMs"};

    public static void main(String[] args) throws Exception {
        String pid = args.length > 0 ? args[0] : Long.toString(platformPid());
        VirtualMachine vm = VirtualMachine.attach(pid);
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            Map<String, double[]> totals = new LinkedHashMap<>();
            for (String request : REQUESTS) {
                for (String part : PARTS) {
                    ObjectName name = new ObjectName("kafka.network:type=RequestMetrics,name=" + part + ",request="
                            + request);
                    try {
                        double count = ((Number) server.getAttribute(name, "Count")).doubleValue();
                        double mean = ((Number) server.getAttribute(name, "Mean")).doubleValue();
                        totals.put(request + " " + part, new double[] {count, count * mean});
                    } catch (InstanceNotFoundException e) {
                        // not served yet
                    }
                }
            }
            Map<String, double[]> since = System.getProperty("since") == null ? Map.of() : read(System.getProperty("since"));
            System.out.printf("%-20s %10s", "request", "count");
            for (String part : PARTS) {
                System.out.printf(" %14s", part.replace("TimeMs", ""));
            }
            System.out.printf("%n(mean ms%s)%n", since.isEmpty() ? " since the broker started" : " since " + System.getProperty("since"));
            for (String request : REQUESTS) {
                StringBuilder line = new StringBuilder();
                double requests = 0;
                for (String part : PARTS) {
                    double[] now = totals.get(request + " " + part);
                    double[] then = since.getOrDefault(request + " " + part, new double[] {0, 0});
                    if (now == null || now[0] - then[0] <= 0) {
                        line.append(String.format(" %14s", "-"));
                        continue;
                    }
                    requests = Math.max(requests, now[0] - then[0]);
                    line.append(String.format(" %14.2f", (now[1] - then[1]) / (now[0] - then[0])));
                }
                System.out.printf("%-20s %,10.0f%s%n", request, requests, line);
            }
            System.out.println("\nerrors answered (since the broker started):");
            for (ObjectName name : server.queryNames(new ObjectName(
                    "kafka.network:type=RequestMetrics,name=ErrorsPerSec,*"), null)) {
                if (!"NONE".equals(name.getKeyProperty("error"))) {
                    System.out.printf("  %s %s: %s%n", name.getKeyProperty("request"), name.getKeyProperty("error"),
                            server.getAttribute(name, "Count"));
                }
            }
            if (System.getProperty("save") != null) {
                StringBuilder out = new StringBuilder();
                totals.forEach((key, v) -> out.append(key).append(' ').append(v[0]).append(' ').append(v[1]).append('\n'));
                Files.writeString(Path.of(System.getProperty("save")), out);
            }
        } finally {
            vm.detach();
        }
    }

    static Map<String, double[]> read(String file) throws IOException {
        Map<String, double[]> totals = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of(file))) {
            String[] f = line.split(" ");
            totals.put(f[0] + " " + f[1], new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])});
        }
        return totals;
    }

    static long platformPid() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("local-cluster-0.1.0-SNAPSHOT-exec.jar"))
                        .orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst()
                .orElseThrow(() -> new IllegalStateException("no local run found: give its pid"));
    }
}
