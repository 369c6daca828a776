/**
 * The file formats of diffusion-model users, in pure Java with no native code:
 * <ul>
 *   <li>{@link org.dydit.formats.SafeTensors} / {@link org.dydit.formats.SafeTensorsWriter}: memory-mapped
 *       reading (files of any size; tensors over 2 GiB read piecewise) with a fully validated header, and
 *       streaming, atomic writing;</li>
 *   <li>{@link org.dydit.formats.Npy}, {@link org.dydit.formats.Npz}, {@link org.dydit.formats.NpzWriter}:
 *       numpy arrays and archives as the ADM evaluator uses them, whole or in row blocks;</li>
 *   <li>{@link org.dydit.formats.TorchCheckpoint}: {@code torch.save} zip checkpoints through an allow-listed
 *       unpickler that never executes code;</li>
 *   <li>{@link org.dydit.formats.Half}: float16 and bfloat16 conversions;</li>
 *   <li>{@link org.dydit.formats.AtomicFile} / {@link org.dydit.formats.AtomicFolder}: the project's file and
 *       folder writes, to a temporary name renamed onto the target only when complete.</li>
 * </ul>
 * Bad input raises {@link org.dydit.formats.FormatException} naming the file and the key.
 */
package org.dydit.formats;
