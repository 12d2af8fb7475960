package dev.s3c.gateway.api;

import org.springframework.web.server.WebFilter;

/**
 * A web filter with a fixed name. Spring's filter chain names a checkpoint after each filter's {@code toString()} on
 * every request, and {@code Object.toString()} builds a new string each time (class name and identity hash).
 */
public abstract class NamedWebFilter implements WebFilter {

    private final String name = getClass().getSimpleName();

    @Override
    public final String toString() {
        return name;
    }
}
