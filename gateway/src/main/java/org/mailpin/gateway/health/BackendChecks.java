package org.mailpin.gateway.health;

import java.util.List;
import java.util.concurrent.ExecutorService;

import org.mailpin.director.Backend;

/** One round's checks of one backend, as the {@link HealthChecker} runs them. */
@FunctionalInterface
public interface BackendChecks {

    /**
     * Runs every check of the backend, using the executor for work that runs in parallel, and
     * returns the failure reasons; an empty list means the backend passed the round.
     */
    List<String> run(Backend backend, ExecutorService executor) throws InterruptedException;
}
