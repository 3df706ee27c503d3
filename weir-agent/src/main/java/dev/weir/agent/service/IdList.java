package dev.weir.agent.service;

import java.util.AbstractList;
import java.util.Collection;
import java.util.List;
import java.util.RandomAccess;

/**
 * An immutable list of ids held as an {@code int[]}: a {@link LbService}'s backend ids, slots and Maglev table. A list
 * of boxed ids costs 20 bytes an id (a Maglev table of 16,381 entries 330 KB), this 4. Equal to any list of the same
 * numbers ({@link AbstractList}); {@code null} elements are refused.
 */
final class IdList extends AbstractList<Integer> implements RandomAccess {

    private static final IdList EMPTY = new IdList(new int[0]);

    private final int[] ids;

    private IdList(int[] ids) {
        this.ids = ids;
    }

    /** The numbers of {@code list}, copied (the same list when it is an {@code IdList} already). */
    static List<Integer> of(Collection<Integer> list) {
        if (list instanceof IdList l) {
            return l;
        }
        if (list.isEmpty()) {
            return EMPTY;
        }
        int[] ids = new int[list.size()];
        int i = 0;
        for (Integer id : list) {
            ids[i++] = id;
        }
        return new IdList(ids);
    }

    @Override
    public Integer get(int index) {
        return ids[index];
    }

    @Override
    public int size() {
        return ids.length;
    }
}
