package dev.s3c.gateway.functions;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.s3c.contracts.CodeStyle;
import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.FunctionStatus;
import java.time.Instant;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A function as stored in the {@code functions} collection (written only by the gateway) and shown by the API.
 *
 * @param note what this version changes, as its author said (null: nothing said); each version has its own
 */
@Document(FunctionDocument.COLLECTION)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FunctionDocument(
        @Id String id,
        String tenant,
        String name,
        String description,
        String code,
        CodeStyle style,
        FunctionConfig config,
        FunctionStatus status,
        long version,
        Instant createdAt,
        Instant updatedAt,
        @JsonIgnore Boolean undelivered,
        String note) {

    public static final String COLLECTION = "functions";
    /** Who owns it; functions stored before tenants existed have none and are the default tenant's. */
    static final String TENANT = "tenant";
    /** Set with every write of a version, removed once the definitions topic has that version: the outbox flag. */
    static final String UNDELIVERED = "undelivered";

    /**
     * A version stored but not yet on the definitions topic, with what it changes ({@code note}, or null). (The
     * canonical constructor takes {@code undelivered} before {@code note}.)
     */
    FunctionDocument(String id, String tenant, String name, String description, String code, CodeStyle style,
            FunctionConfig config, FunctionStatus status, long version, Instant createdAt, Instant updatedAt,
            String note) {
        this(id, tenant, name, description, code, style, config, status, version, createdAt, updatedAt, Boolean.TRUE,
                note);
    }

    /** Spring Data reads with this one: the canonical constructor. */
    @org.springframework.data.annotation.PersistenceCreator
    public FunctionDocument {
    }

    FunctionDefinition definition() {
        return new FunctionDefinition(id, name, version, code, style, config.timeoutMs(), config.retryCount(), status,
                updatedAt, tenant, config.env());
    }

    FunctionDocument withoutCode() {
        return new FunctionDocument(id, tenant, name, description, null, style, config, status, version, createdAt, updatedAt,
                undelivered, note);
    }
}
