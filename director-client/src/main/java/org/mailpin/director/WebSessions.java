package org.mailpin.director;

import java.util.List;
import java.util.Optional;

/** Live web sessions, shared by all gateway nodes. */
public interface WebSessions {

    void put(WebSession session);

    Optional<WebSession> find(String id);

    /** Records a request; writes at most once per refresh interval per session. */
    void touch(WebSession session);

    void remove(String id);

    /** Returns every live session, newest first. */
    List<WebSession> list();

    /** Returns the user's live sessions, newest first, without fetching the other users' sessions. */
    List<WebSession> forUser(String user);
}
