package dev.s3c.local;

import dev.s3c.contracts.JsonCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import tools.jackson.databind.JsonNode;

/** A WebSocket client of the live metrics that takes at most {@code demand} messages (the JDK's client). */
final class LiveClient implements WebSocket.Listener, AutoCloseable {

    private final long demand;
    private final AtomicInteger received = new AtomicInteger();
    private final AtomicInteger snapshots = new AtomicInteger();
    private final AtomicReference<JsonNode> latestSnapshot = new AtomicReference<>();
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    /** Every function any snapshot listed. */
    private final java.util.Set<String> snapshotFunctions = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;
    private volatile boolean closedByServer;

    private LiveClient(long demand) {
        this.demand = demand;
    }

    static LiveClient connect(String url, long demand) throws Exception {
        return connect(url, demand, null);
    }

    /** Connects as a page of {@code origin} would (null: as a client that is not a browser), with the tests' key. */
    static LiveClient connect(String url, long demand, String origin) throws Exception {
        return connect(url, demand, origin, LocalCluster.TEST_API_KEY);
    }

    /** Connects presenting {@code key} (null: none). */
    static LiveClient connect(String url, long demand, String origin, String key) throws Exception {
        LiveClient client = new LiveClient(demand);
        var builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (origin != null) {
            builder.header("Origin", origin);
        }
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        client.socket = builder.buildAsync(URI.create(url), client).get(10, TimeUnit.SECONDS);
        return client;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            JsonNode message = JsonCodec.readTree(partial.toString());
            partial.setLength(0);
            int count = received.incrementAndGet();
            if (message.path("type").asString().equals("snapshot")) {
                snapshots.incrementAndGet();
                latestSnapshot.set(message.path("snapshot"));
                message.path("snapshot").path("functions").propertyNames().forEach(snapshotFunctions::add);
            } else {
                events.add(message);
            }
            if (count < demand) {
                webSocket.request(1);
            }
        } else {
            webSocket.request(1);
        }
        return null;
    }

    /** The server closed the stream (a normal close). */
    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closedByServer = true;
        return null;
    }

    boolean closedByServer() {
        return closedByServer;
    }

    int received() {
        return received.get();
    }

    int snapshots() {
        return snapshots.get();
    }

    java.util.Set<String> snapshotFunctions() {
        return snapshotFunctions;
    }

    Optional<JsonNode> latestSnapshot() {
        return Optional.ofNullable(latestSnapshot.get());
    }

    List<JsonNode> events(String type) {
        return events.stream().filter(e -> e.path("type").asString().equals(type)).map(e -> e.path("event")).toList();
    }

    /** Whole messages of a type other than the snapshot, in arrival order. */
    List<JsonNode> messages(String type) {
        return events.stream().filter(e -> e.path("type").asString().equals(type)).toList();
    }

    @Override
    public void close() {
        socket.abort();
    }
}
