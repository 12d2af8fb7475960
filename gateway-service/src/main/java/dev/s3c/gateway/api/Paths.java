package dev.s3c.gateway.api;

/** Where the gateway's two kinds of calls are served: the filters that treat them apart read these. */
public final class Paths {

    private Paths() {
    }

    /** The API, behind keys. */
    public static final String API = "/api/";
    /** Function URLs, {@code /fn/<id>}: each as open as its function's {@code config.http}. */
    public static final String FUNCTION_URLS = "/fn/";
}
