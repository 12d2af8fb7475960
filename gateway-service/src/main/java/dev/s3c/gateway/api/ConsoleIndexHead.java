package dev.s3c.gateway.api;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * HEAD / answers as GET / does (the console's page), without the body. Boot's welcome page serves GET only, so uptime
 * checks and {@code curl -I} got a 404 for a page that is there; every other file of the console already answered
 * HEAD. It takes the same requests as the welcome page (those that accept HTML) and the same file (the only
 * {@code index.html} in the static locations).
 */
@Configuration(proxyBeanMethods = false)
class ConsoleIndexHead {

    static final Resource INDEX = new ClassPathResource("static/index.html");

    @Bean
    RouterFunction<ServerResponse> headOfTheConsolePage() {
        return RouterFunctions.route(RequestPredicates.method(HttpMethod.HEAD).and(RequestPredicates.path("/"))
                        .and(RequestPredicates.accept(MediaType.TEXT_HTML)),
                request -> ServerResponse.ok().contentType(MediaType.TEXT_HTML).body(BodyInserters.fromResource(INDEX)));
    }
}
