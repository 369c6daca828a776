package org.dydit.prep;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** Creates the SparkContext of a prep job: spark-submit's settings win, plain {@code java} runs get local[*]. */
public final class Sparks {
    private Sparks() {}

    /** A spark:// master that refuses connections is an IOException naming it, before Spark starts (Endpoints). */
    public static JavaSparkContext create(String appName) throws java.io.IOException {
        SparkConf conf = new SparkConf();
        if (!conf.contains("spark.master")) conf.setMaster("local[*]");
        Endpoints.requireSparkMaster(conf.get("spark.master"));
        conf.setIfMissing("spark.app.name", appName);
        // Our own progress line says more (files, rate, ETA); Spark's bar would overwrite it on a terminal.
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        return new JavaSparkContext(conf);
    }
}
