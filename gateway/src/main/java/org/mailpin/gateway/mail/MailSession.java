package org.mailpin.gateway.mail;

/** One protocol's conversation with one client, from greeting to close; runs on its own virtual thread. */
public interface MailSession {

    /** Runs the session; the caller closes the connection afterwards. */
    void run(ClientConnection client) throws Exception;
}
