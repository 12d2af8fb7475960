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
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/app.jar"]
