/** Image decoding and ADM's centre crop with PIL-equal resampling. */
package org.dydit.prep.image;
