package dev.s3c.gateway.functions;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.s3c.contracts.CodeStyle;
import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.FunctionStatus;
import java.time.Instant;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/** A function as stored in the {@code functions} collection (written only by the gateway) and shown by the API. */
@Document(FunctionDocument.COLLECTION)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FunctionDocument(
        @Id String id,
        String name,
        String description,
        String code,
        CodeStyle style,
        FunctionConfig config,
        FunctionStatus status,
        long version,
        Instant createdAt,
        Instant updatedAt) {

    public static final String COLLECTION = "functions";

    FunctionDefinition definition() {
        return new FunctionDefinition(id, name, version, code, style, config.timeoutMs(), config.retryCount(), status,
                updatedAt);
    }

    FunctionDocument withoutCode() {
        return new FunctionDocument(id, name, description, null, style, config, status, version, createdAt, updatedAt);
    }
}
