/** Spark helpers of the jobs: the native backend variant and the threads each task may use. */
package org.dydit.jobs;
