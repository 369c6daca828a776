package org.dydit.formats;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The allow-list for torch.save pickles. Every name here maps to an inert Java value: OrderedDict to a map,
 * _rebuild_tensor_v2 / _rebuild_parameter to a lazy {@link TensorRef}, storage classes to dtypes,
 * torch.Size to a list, argparse.Namespace to a map of its attributes. Anything else is refused by name.
 */
final class TorchResolver implements RestrictedUnpickler.Resolver {
    /** A storage named by a persistent id: ('storage', FloatStorage, key, location, numel). */
    static final class StorageRef {
        final DType dtype;
        final String key;
        final long numel;

        StorageRef(DType dtype, String key, long numel) {
            this.dtype = dtype;
            this.key = key;
            this.numel = numel;
        }
    }

    /** A tensor view, read from its storage only when asked for. */
    static final class TensorRef {
        final StorageRef storage;
        final long offset;
        final long[] size;
        final long[] stride;

        TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
            this.storage = storage;
            this.offset = offset;
            this.size = size;
            this.stride = stride;
        }
    }

    /** argparse.Namespace: a map that BUILD fills with the object's __dict__. */
    static final class Namespace extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    private static final Map<String, DType> STORAGES = new LinkedHashMap<>();

    static {
        STORAGES.put("FloatStorage", DType.F32);
        STORAGES.put("HalfStorage", DType.F16);
        STORAGES.put("BFloat16Storage", DType.BF16);
        STORAGES.put("DoubleStorage", DType.F64);
        STORAGES.put("LongStorage", DType.I64);
        STORAGES.put("IntStorage", DType.I32);
        STORAGES.put("ShortStorage", DType.I16);
        STORAGES.put("CharStorage", DType.I8);
        STORAGES.put("ByteStorage", DType.U8);
        STORAGES.put("BoolStorage", DType.BOOL);
        STORAGES.put("UntypedStorage", DType.U8);     // raw bytes: numel counts bytes
    }

    private final Path file;
    private final String entry;

    TorchResolver(Path file, String entry) {
        this.file = file;
        this.entry = entry;
    }

    private FormatException err(String what) {
        return FormatException.of(file, entry, what);
    }

    @Override
    public RestrictedUnpickler.Global global(String module, String name) throws FormatException {
        String q = module + "." + name;
        boolean ok;
        switch (module) {
            case "collections": ok = name.equals("OrderedDict"); break;
            case "torch._utils":
                ok = name.equals("_rebuild_tensor_v2") || name.equals("_rebuild_tensor")
                        || name.equals("_rebuild_parameter") || name.equals("_rebuild_parameter_with_state");
                break;
            case "torch": ok = name.equals("Size") || STORAGES.containsKey(name); break;
            case "torch.storage": ok = name.equals("UntypedStorage"); break;
            case "argparse": ok = name.equals("Namespace"); break;
            default: ok = false;
        }
        if (!ok) {
            throw err("refused global '" + q + "': a checkpoint may name only tensors, storages, OrderedDict, torch.Size"
                    + " and argparse.Namespace; loading never executes code");
        }
        return new RestrictedUnpickler.Global(module, name);
    }

    @Override
    public Object call(RestrictedUnpickler.Global g, List<Object> args) throws FormatException {
        switch (g.qualified()) {
            case "collections.OrderedDict": {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (!args.isEmpty() && args.get(0) instanceof List) {     // OrderedDict([(k, v), ...])
                    for (Object kv : (List<?>) args.get(0)) {
                        if (!(kv instanceof List) || ((List<?>) kv).size() != 2) throw err("OrderedDict item is not a (key, value) pair");
                        m.put(((List<?>) kv).get(0), ((List<?>) kv).get(1));
                    }
                } else if (!args.isEmpty()) {
                    throw err("OrderedDict called with unexpected arguments");
                }
                return m;
            }
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                return rebuildTensor(args);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                if (args.isEmpty() || !(args.get(0) instanceof TensorRef)) throw err("_rebuild_parameter without a tensor");
                return args.get(0);
            case "torch.Size":
                if (args.size() != 1 || !(args.get(0) instanceof List)) throw err("torch.Size needs one tuple");
                return new ArrayList<>((List<?>) args.get(0));
            case "argparse.Namespace":
                if (!args.isEmpty()) throw err("argparse.Namespace called with positional arguments");
                return new Namespace();
            default:
                throw err("'" + g.qualified() + "' may be named but not called");
        }
    }

    private TensorRef rebuildTensor(List<Object> a) throws FormatException {
        if (a.size() < 4 || !(a.get(0) instanceof StorageRef) || !(a.get(1) instanceof Long)
                || !(a.get(2) instanceof List) || !(a.get(3) instanceof List)) {
            throw err("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)");
        }
        long[] size = longs((List<?>) a.get(2), "size");
        long[] stride = longs((List<?>) a.get(3), "stride");
        long offset = (Long) a.get(1);
        if (size.length != stride.length) throw err("tensor size and stride differ in rank");
        if (offset < 0) throw err("negative storage offset");
        for (int i = 0; i < size.length; i++) {
            if (size[i] < 0 || stride[i] < 0) throw err("negative size or stride");
        }
        return new TensorRef((StorageRef) a.get(0), offset, size, stride);
    }

    private long[] longs(List<?> l, String what) throws FormatException {
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long)) throw err("tensor " + what + " holds a non-integer");
            out[i] = (Long) l.get(i);
        }
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object build(Object obj, Object state) throws FormatException {
        if (obj instanceof Namespace) {
            Object dict = state;
            if (state instanceof List && ((List<?>) state).size() == 2) dict = ((List<?>) state).get(0);   // (dict, slots)
            if (dict == null) return obj;
            if (!(dict instanceof Map)) throw err("argparse.Namespace state is not a dict");
            ((Namespace) obj).putAll((Map<Object, Object>) dict);
            return obj;
        }
        if (obj instanceof Map || obj instanceof TensorRef) {
            // OrderedDict / Parameter attributes (such as a state dict's _metadata): not part of the data.
            return obj;
        }
        throw err("BUILD on a " + RestrictedUnpickler.typeName(obj) + " is not allowed");
    }

    @Override
    public Object persistentLoad(Object pid) throws FormatException {
        if (!(pid instanceof List) || ((List<?>) pid).size() < 5 || !"storage".equals(((List<?>) pid).get(0))) {
            throw err("unknown persistent id " + pid + " (expected ('storage', type, key, location, numel))");
        }
        List<?> p = (List<?>) pid;
        Object type = p.get(1);
        Object key = p.get(2);
        Object numel = p.get(4);
        if (!(type instanceof RestrictedUnpickler.Global) || !STORAGES.containsKey(((RestrictedUnpickler.Global) type).name)) {
            throw err("persistent id names " + type + ", not a torch storage type");
        }
        if (!(key instanceof String) || !(numel instanceof Long) || (Long) numel < 0) throw err("malformed storage id " + pid);
        String k = (String) key;
        if (k.isEmpty() || k.contains("/") || k.contains("..")) throw err("storage key '" + k + "' is not a plain name");
        return new StorageRef(STORAGES.get(((RestrictedUnpickler.Global) type).name), k, (Long) numel);
    }

}
