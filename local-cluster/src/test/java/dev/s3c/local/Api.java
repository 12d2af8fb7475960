package dev.s3c.local;

import dev.s3c.contracts.JsonCodec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

/** A small HTTP client for the platform's REST API, as a user's program would call it. */
final class Api {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;
    private final String key;

    /** A client that presents the key clusters started for tests accept. */
    Api(String base) {
        this(base, LocalCluster.TEST_API_KEY);
    }

    /** A client that presents {@code key} (null: none). */
    Api(String base, String key) {
        this.base = base;
        this.key = key;
    }

    /** The gateway this client calls. */
    String base() {
        return base;
    }

    private HttpRequest.Builder request(String path) {
        var request = HttpRequest.newBuilder(URI.create(base + path));
        return key == null ? request : request.header("Authorization", "Bearer " + key);
    }

    record Response(int status, JsonNode body, HttpResponse<String> raw) {
        String location() {
            return raw.headers().firstValue("Location").orElse(null);
        }

        /** The target of a {@code Link: <…>; rel="next"} header, or null. */
        String nextLink() {
            return raw.headers().firstValue("Link")
                    .map(link -> java.util.regex.Pattern.compile("<([^>]+)>;\\s*rel=\"next\"").matcher(link))
                    .filter(java.util.regex.Matcher::find).map(m -> m.group(1)).orElse(null);
        }
    }

    Response get(String path) {
        return send(request(path).GET());
    }

    /** A GET with headers, given as name, value, name, value… */
    Response get(String path, String... headers) {
        var request = request(path).GET();
        return send(headers.length == 0 ? request : request.headers(headers));
    }

    /** The body as text, for non-JSON endpoints such as Prometheus. */
    String raw(String path) {
        return send(request(path).GET()).raw().body();
    }

    Response post(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A POST with headers, given as name, value, name, value… */
    Response post(String path, String json, String... headers) {
        return send(request(path).header("Content-Type", "application/json")
                .headers(headers).POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A POST of {@code body} as {@code contentType}, with headers given as name, value, name, value… */
    Response postAs(String path, String contentType, String body, String... headers) {
        var request = request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        return send(headers.length == 0 ? request : request.headers(headers));
    }

    /** A DELETE with headers, given as name, value, name, value… */
    Response delete(String path, String... headers) {
        var request = request(path).DELETE();
        return send(headers.length == 0 ? request : request.headers(headers));
    }

    Response put(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** Any method with any body (null: none), as a function URL takes; headers given as name, value, name, value… */
    Response call(String method, String path, String contentType, byte[] body, String... headers) {
        var request = request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return send(headers.length == 0 ? request : request.headers(headers));
    }

    CompletableFuture<Response> postAsync(String path, String json) {
        return HTTP.sendAsync(request(path).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString()).thenApply(Api::response);
    }

    private static Response send(HttpRequest.Builder request) {
        try {
            return response(HTTP.send(request.timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Response response(HttpResponse<String> raw) {
        String type = raw.headers().firstValue("Content-Type").orElse("");
        JsonNode body = raw.body() == null || raw.body().isBlank() || !type.contains("json") ? MissingNode.getInstance()
                : JsonCodec.readTree(raw.body());
        return new Response(raw.statusCode(), body, raw);
    }

    static String json(Object value) {
        return JsonCodec.toJson(value);
    }
}
