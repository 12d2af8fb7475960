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
 * HEAD.
 */
@Configuration(proxyBeanMethods = false)
class ConsoleIndexHead {

    static final Resource INDEX = new ClassPathResource("static/index.html");

    @Bean
    RouterFunction<ServerResponse> headOfTheConsolePage() {
        return RouterFunctions.route(RequestPredicates.method(HttpMethod.HEAD).and(RequestPredicates.path("/")),
                request -> ServerResponse.ok().contentType(MediaType.TEXT_HTML).body(BodyInserters.fromResource(INDEX)));
    }
}
