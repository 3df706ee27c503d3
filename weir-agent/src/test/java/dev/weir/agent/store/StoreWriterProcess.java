package dev.weir.agent.store;

import java.nio.file.Path;
import java.util.List;

/**
 * A second process for {@link FileStoreJournalTest}: commits {@code count} objects of its own, one per commit,
 * and allocates a shared key and an own key per round, printing {@code shared KEY ID} and {@code own KEY ID}
 * lines. Arguments: the store directory, a name, the count.
 */
public final class StoreWriterProcess {

    private StoreWriterProcess() {
    }

    public static void main(String[] args) {
        FileStore store = new FileStore(FileStore.Config.of(Path.of(args[0])));
        String me = args[1];
        int count = Integer.parseInt(args[2]);
        Store.Allocations table = store.allocations("endpoints", 1, 65535);
        for (int i = 0; i < count; i++) {
            store.commit(List.of(new Change.Put(new ObjectKey("P", me, "p" + i), "x", "")));
            System.out.println("shared shared-" + i + " " + table.allocate("shared-" + i));
            System.out.println("own " + me + "-" + i + " " + table.allocate(me + "-" + i));
        }
        System.out.flush();
    }
}
