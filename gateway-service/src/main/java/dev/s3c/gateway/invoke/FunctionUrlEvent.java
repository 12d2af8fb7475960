package dev.s3c.gateway.invoke;

import dev.s3c.contracts.JsonCodec;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.util.MultiValueMap;
import tools.jackson.databind.node.ObjectNode;

/**
 * A request to a function URL as the function's input, in the shape of Lambda's function URL events (version 2.0,
 * trimmed): {@code method}, {@code path} (after {@code /fn/{id}}, as sent), {@code rawQuery}, {@code query}
 * (repeated names joined by commas), {@code headers} (lower-case names; repeated ones joined by commas, cookies by
 * {@code ;}), {@code body} (text, or base64 with {@code isBase64Encoded}).
 */
final class FunctionUrlEvent {

    /** The console's session cookie: a function never sees it (it stands for a signed-in developer's key). */
    static final String SESSION_COOKIE = "s3c_key";

    private FunctionUrlEvent() {
    }

    /** Elements of {@code /fn/{id}}: separator, "fn", separator, id. */
    private static final int PREFIX_ELEMENTS = 4;

    /** @param withoutAuthorization leave out {@code Authorization}: it holds a key of the platform */
    static ObjectNode of(ServerHttpRequest request, MultiValueMap<String, String> query, byte[] body,
            boolean withoutAuthorization) {
        ObjectNode event = JsonCodec.mapper().createObjectNode();
        event.put("method", request.getMethod().name());
        // what follows the id as sent (the id itself may have been sent percent-encoded)
        PathContainer path = request.getPath().pathWithinApplication();
        String rest = path.elements().size() > PREFIX_ELEMENTS ? path.subPath(PREFIX_ELEMENTS).value() : "";
        event.put("path", rest.isEmpty() ? "/" : rest);
        String rawQuery = request.getURI().getRawQuery();
        event.put("rawQuery", rawQuery == null ? "" : rawQuery);
        ObjectNode params = event.putObject("query");
        // a name without a value (?flag) is the empty string, as a browser's URLSearchParams reads it
        query.forEach((name, values) -> params.put(name, String.join(",", values.stream()
                .map(value -> value == null ? "" : value).toList())));
        ObjectNode headers = event.putObject("headers");
        for (Map.Entry<String, List<String>> header : request.getHeaders().headerSet()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (withoutAuthorization && name.equals("authorization")) {
                continue;
            }
            if (name.equals("cookie")) {
                String cookies = withoutSessionCookie(header.getValue());
                if (!cookies.isEmpty()) {
                    headers.put(name, cookies);
                }
                continue;
            }
            headers.put(name, String.join(",", header.getValue()));
        }
        byte[] bytes = body == null ? new byte[0] : body;
        String text = textual(request.getHeaders()) ? utf8(bytes) : null;
        event.put("body", text != null ? text : Base64.getEncoder().encodeToString(bytes));
        event.put("isBase64Encoded", text == null);
        return event;
    }

    /** The cookies but the console's session, joined as a browser sends them; empty when none is left. */
    static String withoutSessionCookie(List<String> values) {
        List<String> kept = new ArrayList<>();
        for (String value : values) {
            for (String cookie : value.split(";")) {
                String trimmed = cookie.strip();
                int equals = trimmed.indexOf('=');
                String name = (equals < 0 ? trimmed : trimmed.substring(0, equals)).strip();
                if (!trimmed.isEmpty() && !name.equals(SESSION_COOKIE)) {
                    kept.add(trimmed);
                }
            }
        }
        return String.join("; ", kept);
    }

    /** A body sent as text: no content type, {@code text/*}, JSON, XML, a form or JavaScript. */
    static boolean textual(HttpHeaders headers) {
        String contentType = headers.getFirst(HttpHeaders.CONTENT_TYPE);
        if (contentType == null || contentType.isBlank()) {
            return true;
        }
        MediaType type;
        try {
            type = MediaType.parseMediaType(contentType);
        } catch (RuntimeException e) {
            return false;
        }
        String subtype = type.getSubtype().toLowerCase(Locale.ROOT);
        return type.getType().equalsIgnoreCase("text") || subtype.equals("json") || subtype.endsWith("+json")
                || subtype.equals("xml") || subtype.endsWith("+xml") || subtype.equals("x-www-form-urlencoded")
                || subtype.equals("javascript");
    }

    /** The bytes as text when they are UTF-8, else null (then sent in base64). */
    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
