package org.dydit.formats;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader (protocols 0 to 5) that never imports or calls anything. A global is looked up in the
 * caller's {@link Resolver}, which maps the few names it allows to inert Java values and refuses the rest;
 * REDUCE, NEWOBJ and BUILD are likewise interpreted by the resolver, never executed.
 *
 * <p>Values: int -> Long (BigInteger beyond 64 bits), float -> Double, str -> String, bytes -> byte[],
 * None -> null, bool -> Boolean, tuple -> unmodifiable List, list -> ArrayList, dict -> LinkedHashMap,
 * set -> LinkedHashSet.
 */
final class RestrictedUnpickler {

    /** A class or function named by GLOBAL / STACK_GLOBAL that the resolver allowed. */
    static final class Global {
        final String module;
        final String name;

        Global(String module, String name) {
            this.module = module;
            this.name = name;
        }

        String qualified() {
            return module + "." + name;
        }

        @Override
        public String toString() {
            return qualified();
        }
    }

    /** The policy: which globals exist, what calling them yields, what persistent ids mean. */
    interface Resolver {
        /** Returns the Global if allowed, else throws a FormatException naming it. */
        Global global(String module, String name) throws FormatException;

        /** REDUCE / NEWOBJ: "call" an allowed global with args; returns an inert value. */
        Object call(Global g, List<Object> args) throws FormatException;

        /** BUILD: apply state to an object made by {@link #call}; returns the object. */
        Object build(Object obj, Object state) throws FormatException;

        Object persistentLoad(Object pid) throws FormatException;
    }

    private static final Object MARK_SENTINEL = new Object();

    private final byte[] d;
    private final String name;
    private final Resolver resolver;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    RestrictedUnpickler(byte[] data, String nameForErrors, Resolver resolver) {
        this.d = data;
        this.name = nameForErrors;
        this.resolver = resolver;
    }

    private FormatException err(String what) {
        return new FormatException(name + ": " + what + " (at byte " + pos + ")");
    }

    private void need(long n) throws FormatException {
        if (n < 0 || pos + n > d.length) throw err("truncated pickle: needs " + n + " more bytes, " + (d.length - pos) + " left");
    }

    private int u8() throws FormatException {
        need(1);
        return d[pos++] & 0xff;
    }

    private long le(int n) throws FormatException {
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | (d[pos + i] & 0xff);
        pos += n;
        return v;
    }

    private byte[] bytes(long n) throws FormatException {
        need(n);
        byte[] b = Arrays.copyOfRange(d, pos, pos + (int) n);
        pos += (int) n;
        return b;
    }

    private String line() throws FormatException {
        int start = pos;
        while (pos < d.length && d[pos] != '\n') pos++;
        if (pos >= d.length) throw err("truncated pickle: unterminated text line");
        String s = new String(d, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }

    private Object pop() throws FormatException {
        if (stack.isEmpty()) throw err("corrupt pickle: pop from an empty stack");
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK_SENTINEL) throw err("corrupt pickle: unexpected MARK");
        return o;
    }

    private Object peek() throws FormatException {
        if (stack.isEmpty()) throw err("corrupt pickle: empty stack");
        return stack.get(stack.size() - 1);
    }

    /** Pops everything above the last MARK, and the mark. */
    private List<Object> popMark() throws FormatException {
        if (marks.isEmpty()) throw err("corrupt pickle: no MARK on the stack");
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private void push(Object o) {
        stack.add(o);
    }

    private static List<Object> tuple(List<Object> items) {
        return Collections.unmodifiableList(new ArrayList<>(items));
    }

    @SuppressWarnings("unchecked")
    Object load() throws FormatException {
        while (true) {
            int at = pos;
            int op = u8();
            switch (op) {
                case 0x80: u8(); break;                                   // PROTO
                case 0x95: le(8); break;                                  // FRAME: framing is transparent here
                case '.':                                                 // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) throw err("corrupt pickle: STOP with " + stack.size() + " items on the stack");
                    return stack.get(0);
                case '(': marks.add(stack.size()); break;                  // MARK
                case '0': pop(); break;                                   // POP
                case '1': popMark(); break;                               // POP_MARK
                case '2': push(peek()); break;                            // DUP
                case '}': push(new LinkedHashMap<>()); break;             // EMPTY_DICT
                case ']': push(new ArrayList<>()); break;                 // EMPTY_LIST
                case ')': push(Collections.emptyList()); break;           // EMPTY_TUPLE
                case 0x8f: push(new LinkedHashSet<>()); break;            // EMPTY_SET
                case 0x90: {                                              // ADDITEMS
                    List<Object> items = popMark();
                    Object s = peek();
                    if (!(s instanceof Set)) throw err("corrupt pickle: ADDITEMS to a non-set");
                    ((Set<Object>) s).addAll(items);
                    break;
                }
                case 0x91: push(Collections.unmodifiableSet(new LinkedHashSet<>(popMark()))); break;   // FROZENSET
                case 'X': push(new String(bytes(le(4)), StandardCharsets.UTF_8)); break;   // BINUNICODE
                case 0x8c: push(new String(bytes(u8()), StandardCharsets.UTF_8)); break;   // SHORT_BINUNICODE
                case 0x8d: push(new String(bytes(le(8)), StandardCharsets.UTF_8)); break;  // BINUNICODE8
                case 'T': push(new String(bytes(le(4)), StandardCharsets.ISO_8859_1)); break;   // BINSTRING (py2 str)
                case 'U': push(new String(bytes(u8()), StandardCharsets.ISO_8859_1)); break;    // SHORT_BINSTRING
                case 'B': push(bytes(le(4))); break;                      // BINBYTES
                case 'C': push(bytes(u8())); break;                       // SHORT_BINBYTES
                case 0x8e: case 0x96: push(bytes(le(8))); break;          // BINBYTES8, BYTEARRAY8
                case 'J': push((long) (int) le(4)); break;                // BININT (signed)
                case 'K': push((long) u8()); break;                       // BININT1
                case 'M': push(le(2)); break;                             // BININT2
                case 0x8a: push(longN(u8())); break;                      // LONG1
                case 0x8b: push(longN(le(4))); break;                     // LONG4
                case 'I': {                                               // INT (text; "01"/"00" are bools)
                    String s = line().trim();
                    if (s.equals("01")) push(Boolean.TRUE);
                    else if (s.equals("00")) push(Boolean.FALSE);
                    else push(parseLong(s));
                    break;
                }
                case 'L': {                                               // LONG (text)
                    String s = line().trim();
                    if (s.endsWith("L")) s = s.substring(0, s.length() - 1);
                    push(parseLong(s));
                    break;
                }
                case 'G': {                                               // BINFLOAT: big-endian double
                    need(8);
                    push(ByteBuffer.wrap(d, pos, 8).order(ByteOrder.BIG_ENDIAN).getDouble());
                    pos += 8;
                    break;
                }
                case 'F':                                                 // FLOAT (text)
                    try {
                        push(Double.parseDouble(line().trim()));
                    } catch (NumberFormatException e) {
                        throw err("corrupt pickle: bad FLOAT");
                    }
                    break;
                case 'N': push(null); break;
                case 0x88: push(Boolean.TRUE); break;
                case 0x89: push(Boolean.FALSE); break;
                case 't': push(tuple(popMark())); break;                  // TUPLE
                case 0x85: { Object a = pop(); push(tuple(Collections.singletonList(a))); break; }   // TUPLE1
                case 0x86: { Object b = pop(), a = pop(); push(tuple(Arrays.asList(a, b))); break; }
                case 0x87: { Object c = pop(), b = pop(), a = pop(); push(tuple(Arrays.asList(a, b, c))); break; }
                case 'l': push(new ArrayList<>(popMark())); break;        // LIST
                case 'd': {                                               // DICT
                    List<Object> kv = popMark();
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putPairs(m, kv);
                    push(m);
                    break;
                }
                case 'a': { Object v = pop(); asList(peek()).add(v); break; }       // APPEND
                case 'e': { List<Object> items = popMark(); asList(peek()).addAll(items); break; }   // APPENDS
                case 's': { Object v = pop(), k = pop(); asMap(peek()).put(k, v); break; }          // SETITEM
                case 'u': { List<Object> kv = popMark(); putPairs(asMap(peek()), kv); break; }      // SETITEMS
                case 'p': memo.put(parseLong(line().trim()).longValue(), peek()); break;   // PUT
                case 'q': memo.put((long) u8(), peek()); break;           // BINPUT
                case 'r': memo.put(le(4), peek()); break;                 // LONG_BINPUT
                case 0x94: memo.put((long) memo.size(), peek()); break;   // MEMOIZE
                case 'g': push(memoGet(parseLong(line().trim()).longValue())); break;      // GET
                case 'h': push(memoGet(u8())); break;                     // BINGET
                case 'j': push(memoGet(le(4))); break;                    // LONG_BINGET
                case 'c': {                                               // GLOBAL "module\nname\n"
                    String module = line();
                    String n = line();
                    push(resolver.global(module, n));
                    break;
                }
                case 0x93: {                                              // STACK_GLOBAL
                    Object n = pop(), module = pop();
                    if (!(module instanceof String) || !(n instanceof String)) throw err("corrupt pickle: STACK_GLOBAL needs two strings");
                    push(resolver.global((String) module, (String) n));
                    break;
                }
                case 'R': {                                               // REDUCE
                    Object args = pop();
                    Object f = pop();
                    push(resolver.call(asGlobal(f, "REDUCE"), asArgs(args)));
                    break;
                }
                case 0x81: {                                              // NEWOBJ: cls.__new__(cls, *args)
                    Object args = pop();
                    Object cls = pop();
                    push(resolver.call(asGlobal(cls, "NEWOBJ"), asArgs(args)));
                    break;
                }
                case 0x92: {                                              // NEWOBJ_EX
                    Object kwargs = pop();
                    Object args = pop();
                    Object cls = pop();
                    if (kwargs instanceof Map && !((Map<?, ?>) kwargs).isEmpty()) throw err("unsupported NEWOBJ_EX with keyword arguments");
                    push(resolver.call(asGlobal(cls, "NEWOBJ_EX"), asArgs(args)));
                    break;
                }
                case 'b': {                                               // BUILD
                    Object state = pop();
                    Object obj = pop();
                    push(resolver.build(obj, state));
                    break;
                }
                case 'Q': push(resolver.persistentLoad(pop())); break;    // BINPERSID
                case 'P': push(resolver.persistentLoad(line())); break;   // PERSID
                default:
                    pos = at;
                    throw err(String.format("unsupported or corrupt pickle opcode 0x%02x", op));
            }
        }
    }

    private Object memoGet(long k) throws FormatException {
        if (!memo.containsKey(k)) throw err("corrupt pickle: memo key " + k + " was never stored");
        return memo.get(k);
    }

    private Long parseLong(String s) throws FormatException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw err("corrupt pickle: bad integer '" + s + "'");
        }
    }

    /** Little-endian two's complement of n bytes; Long when it fits. */
    private Object longN(long n) throws FormatException {
        byte[] b = bytes(n);
        if (n == 0) return 0L;
        byte[] be = new byte[b.length];
        for (int i = 0; i < b.length; i++) be[i] = b[b.length - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    @SuppressWarnings("unchecked")
    private List<Object> asList(Object o) throws FormatException {
        if (o instanceof ArrayList) return (List<Object>) o;
        throw err("corrupt pickle: APPEND to a " + typeName(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> asMap(Object o) throws FormatException {
        if (o instanceof Map) return (Map<Object, Object>) o;
        throw err("corrupt pickle: SETITEM on a " + typeName(o));
    }

    private void putPairs(Map<Object, Object> m, List<Object> kv) throws FormatException {
        if (kv.size() % 2 != 0) throw err("corrupt pickle: odd number of dict items");
        for (int i = 0; i < kv.size(); i += 2) m.put(kv.get(i), kv.get(i + 1));
    }

    private Global asGlobal(Object o, String op) throws FormatException {
        if (o instanceof Global) return (Global) o;
        throw err("corrupt pickle: " + op + " on a " + typeName(o) + ", not a class or function");
    }

    @SuppressWarnings("unchecked")
    private List<Object> asArgs(Object o) throws FormatException {
        if (o instanceof List) return (List<Object>) o;
        throw err("corrupt pickle: arguments are a " + typeName(o) + ", not a tuple");
    }

    static String typeName(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }
}
