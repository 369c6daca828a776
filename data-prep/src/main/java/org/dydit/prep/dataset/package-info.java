/** The {@code dydit-latents/1} dataset format: manifest, record codec, sharded writer and reader (local or HDFS). */
package org.dydit.prep.dataset;
