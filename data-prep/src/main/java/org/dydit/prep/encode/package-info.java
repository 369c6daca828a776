/** Image encoders: what a record holds for an image (pixels in [-1, 1] today; VAE latents later). */
package org.dydit.prep.encode;
