/** The preparation jobs: Fashion-MNIST, ImageNet-layout image folders, fast-DiT npy imports. */
package org.dydit.prep.job;
