/** Dataset preparation: Spark jobs that turn image datasets into sharded {@code dydit-latents/1} datasets. */
package org.dydit.prep;
