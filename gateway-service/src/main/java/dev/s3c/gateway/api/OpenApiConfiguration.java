package dev.s3c.gateway.api;

import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.GlobalOpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document ({@code /api/openapi}, UI at {@code /api/docs}), generated from the controllers. Every
 * operation also lists the refusals it can answer, all in the {@link ApiError} shape.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    private static final Map<String, String> REFUSALS = Map.of(
            "400", "bad input: the errors name each field and the reason",
            "401", "no API key, or not one of this platform's (Authorization: Bearer <key>)",
            "404", "no such function, function version, execution, dead letter or load test",
            "409", "conflict: a name taken, an inactive function, a function changed since the version sent, a load "
                    + "test already running, a restore of the current version",
            "413", "code, input or body too large",
            "503", "Kafka or the monitor did not answer; nothing was changed");

    private static final String API_KEY = "apiKey";

    @Bean
    OpenAPI s3cOpenApi() {
        return new OpenAPI().info(new Info().title("S3 for Compute API").version("v1")
                .description("Upload JavaScript functions, invoke them sync or async, read executions, dead letters, "
                        + "live metrics and scaling decisions, and run load tests."));
    }

    @Bean
    GlobalOpenApiCustomizer refusalsOnEveryOperation() {
        return openApi -> {
            // added here: components given in the OpenAPI bean are replaced by the generated ones
            if (openApi.getComponents() == null) {
                openApi.setComponents(new Components());
            }
            ModelConverters.getInstance().readAll(ApiError.class).forEach(openApi.getComponents()::addSchemas);
            // every call presents a key; the docs' "Authorize" takes it once for the calls tried from the page
            openApi.getComponents().addSecuritySchemes(API_KEY, new SecurityScheme().type(SecurityScheme.Type.HTTP)
                    .scheme("bearer").description("an API key of this platform (the local run prints one)"));
            openApi.setSecurity(List.of(new SecurityRequirement().addList(API_KEY)));
            if (openApi.getPaths() == null) {
                return;
            }
            openApi.getPaths().values().forEach(path -> path.readOperations().forEach(this::addRefusals));
        };
    }

    private void addRefusals(Operation operation) {
        REFUSALS.forEach((status, description) -> {
            if (operation.getResponses() != null && !operation.getResponses().containsKey(status)) {
                operation.getResponses().addApiResponse(status, new ApiResponse().description(description)
                        .content(new Content().addMediaType("application/json", new MediaType()
                                .schema(new Schema<>().$ref("#/components/schemas/ApiError")))));
            }
        });
    }
}
