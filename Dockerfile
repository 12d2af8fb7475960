# One image per service: docker build --build-arg SERVICE=gateway-service -t s3c/gateway-service .
FROM maven:3.9.11-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -ntp -q package -DskipTests

FROM eclipse-temurin:25.0.3_9-jre
# curl for the health checks in docker-compose.yml (the base image has neither curl nor wget)
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
ARG SERVICE
WORKDIR /app
COPY --from=build /src/${SERVICE}/target/${SERVICE}-0.1.0-SNAPSHOT-exec.jar /app/app.jar
# the Graal compiler for GraalJS's JIT (used by the executor; see JAVA_OPTS in docker-compose.yml)
COPY --from=build /src/executor-service/target/jvmci /app/jvmci
ENV JAVA_OPTS=""
# not root: a way out of the JVM (or of a sandbox) finds an account that owns nothing
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin s3c
USER 10001
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/app.jar"]
