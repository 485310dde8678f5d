package org.mailpin.gateway.health;

import java.util.List;
import java.util.concurrent.ExecutorService;

import org.mailpin.director.Backend;

/** One round's checks of one backend, as the {@link HealthChecker} runs them. */
@FunctionalInterface
public interface BackendChecks {

    /**
     * Runs every check of the backend and returns the failure reasons. An empty list means the
     * backend passed the round. Work that runs in parallel goes to the executor.
     */
    List<String> run(Backend backend, ExecutorService executor) throws InterruptedException;
}
