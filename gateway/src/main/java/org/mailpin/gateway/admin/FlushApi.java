package org.mailpin.gateway.admin;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.UnknownBackendException;
import org.mailpin.gateway.ops.Pacer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

/**
 * {@code POST /api/v1/flush[?backend=B]}: moves every user whose assignment differs from the
 * ring's current choice to that choice and kicks the user's live connections, at the director's
 * kick rate. The response streams one JSON line per second of progress and a last line with
 * {@code "done": true}, so the CLI can show progress on a long flush.
 */
final class FlushApi {

    private static final Logger log = LoggerFactory.getLogger(FlushApi.class);
    private static final long PROGRESS_INTERVAL = TimeUnit.SECONDS.toNanos(1);

    private final Director director;
    private final int kickRate;

    FlushApi(Director director, int kickRate) {
        this.director = director;
        this.kickRate = kickRate;
    }

    void flush(HttpServerExchange exchange) throws Exception {
        var filter = exchange.getQueryParameters().get("backend");
        String backend = filter == null ? null : filter.getFirst();
        if (backend != null && director.backend(backend).isEmpty()) {
            throw new UnknownBackendException(backend, director.backends());
        }
        List<Assignment> candidates = director.assignments().stream()
                .filter(a -> backend == null || a.backendId().equals(backend))
                .filter(a -> !director.ringChoice(a.user()).map(Backend::id).orElse(a.backendId()).equals(a.backendId()))
                .toList();
        log.info("flush of {} started: {} user(s) off their ring choice, {} per second",
                backend == null ? "every backend" : "backend " + backend, candidates.size(), kickRate);

        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/x-ndjson");
        exchange.startBlocking();
        OutputStream out = exchange.getOutputStream();
        Progress progress = new Progress(candidates.size());
        Pacer pacer = new Pacer(kickRate);
        long nextReport = System.nanoTime();
        for (Assignment candidate : candidates) {
            if (System.nanoTime() >= nextReport) {
                write(out, progress.json(false));
                nextReport = System.nanoTime() + PROGRESS_INTERVAL;
            }
            if (!pacer.await()) {
                break;
            }
            Optional<Assignment> moved = director.flush(candidate);
            if (moved.isPresent()) {
                progress.moved++;
            } else {
                progress.skipped++;
            }
        }
        write(out, progress.json(true));
        log.info("flush of {} done: {} moved, {} skipped because their assignment changed meanwhile",
                backend == null ? "every backend" : "backend " + backend, progress.moved, progress.skipped);
    }

    private static void write(OutputStream out, Map<String, Object> line) throws IOException {
        out.write((Json.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static final class Progress {
        final int total;
        int moved;
        int skipped;

        Progress(int total) {
            this.total = total;
        }

        Map<String, Object> json(boolean done) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("total", total);
            json.put("moved", moved);
            json.put("skipped", skipped);
            json.put("done", done);
            return json;
        }
    }
}
