package org.mailpin.gateway.mail;

/** One protocol's conversation with one client, from greeting to close; runs on its own virtual thread. */
public interface MailSession {

    /** Runs the session; the caller closes the connection afterwards. */
    void run(ClientConnection client) throws Exception;

    /**
     * Ends the session because the server stops. Called on another thread, possibly before or
     * while {@link #run} blocks. The default does nothing, so the connection then lives until its
     * client or backend closes it.
     */
    default void stop() {
    }
}
