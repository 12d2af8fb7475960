package dev.s3c.gateway.invoke;

import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.RequestLog;
import dev.s3c.gateway.executions.ExecutionView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.JsonNode;

/**
 * What a function URL answers, from the function's result, as Lambda's function URLs do: an object with a
 * {@code statusCode} is a response ({@code statusCode}, {@code headers}, {@code body}, {@code isBase64Encoded}); any
 * other result is a 200 with the result as JSON. A failed run is a 502 (a timeout a 504) that names the execution
 * holding the error, not the error itself: a public caller is not the function's developer.
 */
final class FunctionUrlAnswer {

    /** On every answer: the execution that made it, to read with the API. */
    static final String EXECUTION_HEADER = RequestLog.EXECUTION_HEADER;
    /**
     * Function URLs share the console's origin, so a page a function serves runs as a sandboxed document of an origin
     * of its own: its scripts reach neither the console's cookies nor the API as the console.
     */
    static final String SANDBOX = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";
    /** Set by the web server for the bytes it sends, not by the function. */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "upgrade", "te", "trailer", "proxy-connection");
    /**
     * Headers that act on the whole origin, which function URLs share with the console and each other: signing
     * everyone out, pinning transport settings, collecting reports of every page's requests.
     */
    private static final Set<String> ORIGIN_WIDE = Set.of("clear-site-data", "strict-transport-security", "alt-svc",
            "nel", "report-to", "reporting-endpoints", "service-worker-allowed", "public-key-pins",
            "public-key-pins-report-only", "expect-ct");
    /** Statuses that have no body. */
    private static final Set<Integer> BODILESS = Set.of(204, 205, 304);

    private FunctionUrlAnswer() {
    }

    /** @param home the function URL's own path, {@code /fn/{id}}: where its cookies are kept */
    static ResponseEntity<byte[]> of(ExecutionView view, String home) {
        String executionId = view.executionId();
        if (view.status() != ExecutionStatus.SUCCEEDED) {
            throw failed(view);
        }
        JsonNode output = view.output();
        if (output == null || !output.isObject() || !output.has("statusCode")) {
            return answer(executionId, HttpStatus.OK.value(), new HttpHeaders(), MediaType.APPLICATION_JSON,
                    JsonCodec.toBytes(output));
        }
        JsonNode status = output.get("statusCode");
        if (!status.isIntegralNumber() || status.asLong() < 200 || status.asLong() > 599) {
            throw malformed(executionId, "statusCode", "must be a whole number from 200 to 599");
        }
        HttpHeaders headers = headers(executionId, output.get("headers"), home);
        JsonNode body = output.get("body");
        boolean base64 = output.path("isBase64Encoded").asBoolean(false);
        byte[] bytes;
        MediaType byDefault = new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8);
        if (body == null || body.isNull()) {
            bytes = new byte[0];
        } else if (body.isString()) {
            bytes = base64 ? decoded(executionId, body.asString()) : body.asString().getBytes(StandardCharsets.UTF_8);
            if (base64) {
                byDefault = MediaType.APPLICATION_OCTET_STREAM;
            }
        } else if (base64) {
            throw malformed(executionId, "body", "must be a string when isBase64Encoded is true");
        } else {
            bytes = JsonCodec.toBytes(body);
            byDefault = MediaType.APPLICATION_JSON;
        }
        return answer(executionId, status.asInt(), headers, byDefault,
                BODILESS.contains(status.asInt()) ? new byte[0] : bytes);
    }

    private static ResponseEntity<byte[]> answer(String executionId, int status, HttpHeaders headers,
            MediaType byDefault, byte[] body) {
        if (!headers.containsHeader(HttpHeaders.CONTENT_TYPE)) {
            headers.setContentType(byDefault);
        }
        headers.add("Content-Security-Policy", SANDBOX);
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set(EXECUTION_HEADER, executionId);
        return ResponseEntity.status(status).headers(headers).body(body);
    }

    /** The function's headers: string, number or boolean values, or arrays of them for a header sent more than once. */
    private static HttpHeaders headers(String executionId, JsonNode given, String home) {
        HttpHeaders headers = new HttpHeaders();
        if (given == null || given.isNull()) {
            return headers;
        }
        if (!given.isObject()) {
            throw malformed(executionId, "headers", "must be an object of header names and values");
        }
        for (Map.Entry<String, JsonNode> header : given.properties()) {
            String name = header.getKey();
            String field = "headers." + name;
            if (!isToken(name)) {
                throw malformed(executionId, field, "is not a header name");
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (FRAMING.contains(lower)) {
                continue;
            }
            if (ORIGIN_WIDE.contains(lower)) {
                throw malformed(executionId, field, "acts on every page of this host, which function URLs share with "
                        + "the console and each other");
            }
            List<String> values = new ArrayList<>();
            JsonNode value = header.getValue();
            for (JsonNode one : value.isArray() ? value : List.of(value)) {
                if (!(one.isString() || one.isNumber() || one.isBoolean()) || !isHeaderText(one.asString())) {
                    throw malformed(executionId, field, "must be text of printable ASCII (or a number), or an array "
                            + "of such for a header sent more than once");
                }
                values.add(one.asString());
            }
            if (lower.equals("set-cookie")) {
                values = values.stream().map(cookie -> ownCookie(executionId, field, cookie, home)).toList();
            }
            if (lower.equals("content-type")) {
                checkContentType(executionId, field, values);
            }
            values.forEach(v -> headers.add(name, v));
        }
        // (also when given twice, in two spellings of its name)
        List<String> contentType = headers.get(HttpHeaders.CONTENT_TYPE);
        if (contentType != null && contentType.size() > 1) {
            throw malformed(executionId, "headers.Content-Type", "must be one media type, such as text/html");
        }
        return headers;
    }

    /**
     * A cookie kept with the function's URL: its {@code Path} under {@code home} (added when left out), no
     * {@code Domain}, and never the console's session. Other functions and the API are not sent it.
     */
    private static String ownCookie(String executionId, String field, String cookie, String home) {
        String[] parts = cookie.split(";");
        int equals = parts[0].indexOf('=');
        if (equals < 1) {
            throw malformed(executionId, field, "is not name=value");
        }
        String name = parts[0].substring(0, equals).strip();
        if (name.equals(FunctionUrlEvent.SESSION_COOKIE)) {
            throw malformed(executionId, field, "may not set " + name + ", the console's session");
        }
        boolean hasPath = false;
        for (int i = 1; i < parts.length; i++) {
            String attribute = parts[i].strip();
            int eq = attribute.indexOf('=');
            String key = (eq < 0 ? attribute : attribute.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
            String value = eq < 0 ? "" : attribute.substring(eq + 1).strip();
            if (key.equals("domain")) {
                throw malformed(executionId, field, "may not name a Domain: a function's cookies stay with its URL");
            }
            if (key.equals("path")) {
                if (!(value.equals(home) || value.startsWith(home + "/"))) {
                    throw malformed(executionId, field, "must have a Path under " + home + " (or none): a "
                            + "function's cookies stay with its URL");
                }
                hasPath = true;
            }
        }
        return hasPath ? cookie : cookie + "; Path=" + home;
    }

    /** One concrete media type: what the answer is, not a pattern. */
    private static void checkContentType(String executionId, String field, List<String> values) {
        MediaType type = null;
        if (values.size() == 1) {
            try {
                type = MediaType.parseMediaType(values.getFirst());
            } catch (RuntimeException e) {
                // reported below
            }
        }
        if (type == null || type.isWildcardType() || type.isWildcardSubtype()) {
            throw malformed(executionId, field, "must be one media type, such as text/html");
        }
    }

    /** Base64, also with line breaks (as MIME writes it); anything else is the function's error. */
    private static byte[] decoded(String executionId, String base64) {
        try {
            return Base64.getDecoder().decode(base64.replace("\r", "").replace("\n", ""));
        } catch (IllegalArgumentException e) {
            throw malformed(executionId, "body", "is not base64 (isBase64Encoded is true)");
        }
    }

    /** RFC 9110's token: what a header name may be. */
    static boolean isToken(String name) {
        if (name.isEmpty() || name.length() > 256) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean tchar = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    /** Printable ASCII, spaces and tabs: no line break can start a header of the function's own. */
    static boolean isHeaderText(String value) {
        if (value.length() > 8192) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c == '\t' || c >= 0x20 && c <= 0x7e)) {
                return false;
            }
        }
        return true;
    }

    private static ApiException malformed(String executionId, String field, String reason) {
        return new ApiException(HttpStatus.BAD_GATEWAY, "the function's answer is not an HTTP response: " + field + " "
                + reason + " (execution " + executionId + " holds what it returned)",
                List.of(new FieldError(field, reason)), Map.of(EXECUTION_HEADER, executionId));
    }

    /** A run that did not succeed: 504 for a timeout, else 502; the error is the function developer's to read. */
    private static ApiException failed(ExecutionView view) {
        String type = view.error() == null || view.error().type() == null ? "system_error"
                : JsonCodec.toJson(view.error().type()).replace("\"", "");
        HttpStatus status = view.status() == ExecutionStatus.TIMED_OUT ? HttpStatus.GATEWAY_TIMEOUT
                : HttpStatus.BAD_GATEWAY;
        return new ApiException(status, "the function did not answer: its run ended " + view.status().wire() + " (" + type + "); execution " + view.executionId() + " holds the error",
                List.of(), Map.of(EXECUTION_HEADER, view.executionId()));
    }
}
