import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The load's own HTTP/1.1 client: keep-alive connections with blocking sockets, meant for virtual threads, one call
 * at a time per connection, idle connections pooled. The JDK's HttpClient cost the load generator more CPU than the
 * gateway spent answering: against the echo endpoint it reached 1,663/s where wrk reached 9,065/s on the same
 * platform, so on two shared cores it measured itself more than the platform.
 */
final class LoadClient {

    record Response(int status, String body) {
    }

    private final String host;
    private final int port;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

    LoadClient(String baseUrl) {
        URI uri = URI.create(baseUrl);
        this.host = uri.getHost();
        this.port = uri.getPort() < 0 ? 80 : uri.getPort();
    }

    Response post(String path, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return send(("POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nAuthorization: Bearer " + BenchHttp.API_KEY
                + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), body);
    }

    /** A POST as anyone sends it to a public function URL: no key. */
    Response postWithoutKey(String path, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return send(("POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), body);
    }

    Response get(String path) throws IOException {
        return send(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nAuthorization: Bearer " + BenchHttp.API_KEY
                + "\r\nAccept: application/json\r\n\r\n").getBytes(StandardCharsets.US_ASCII), new byte[0]);
    }

    private Response send(byte[] head, byte[] body) throws IOException {
        Connection pooled = idle.pollFirst();
        if (pooled != null) {
            try {
                return pooled.exchange(head, body);
            } catch (IOException closedMeanwhile) {
                // the server may close an idle keep-alive connection; a new one is the answer, once
                pooled.close();
            }
        }
        return new Connection().exchange(head, body);
    }

    private final class Connection {

        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Connection() throws IOException {
            socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(120_000);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
        }

        Response exchange(byte[] head, byte[] body) throws IOException {
            byte[] request = new byte[head.length + body.length];
            System.arraycopy(head, 0, request, 0, head.length);
            System.arraycopy(body, 0, request, head.length, body.length);
            out.write(request);
            out.flush();
            String status = line();
            if (status.isEmpty()) {
                throw new IOException("connection closed before an answer");
            }
            int code = Integer.parseInt(status.substring(9, 12));
            int length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String header = line(); !header.isEmpty(); header = line()) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon).trim().toLowerCase();
                String value = header.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Integer.parseInt(value);
                    case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    default -> {
                    }
                }
            }
            String text = chunked ? chunkedBody() : new String(in.readNBytes(Math.max(0, length)), StandardCharsets.UTF_8);
            if (close) {
                close();
            } else {
                idle.offerFirst(this);
            }
            return new Response(code, text);
        }

        private String chunkedBody() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0;
                    size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
                // trailers are not used
            }
            return body.toString(StandardCharsets.UTF_8);
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder(64);
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    if (line.isEmpty()) {
                        return "";
                    }
                    throw new IOException("connection closed mid-line");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing what the server already closed
            }
        }
    }
}
