package org.dydit.prep;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** One local[2] SparkContext shared by the module's tests (starting one costs about two seconds). */
public final class TestSpark {
    private TestSpark() {}

    private static JavaSparkContext sc;

    public static synchronized JavaSparkContext sc() {
        if (sc == null) {
            SparkConf conf = new SparkConf()
                    .setMaster("local[2]")
                    .setAppName("dydit-data-prep-tests")
                    .set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1");
            sc = new JavaSparkContext(conf);
            Runtime.getRuntime().addShutdownHook(new Thread(sc::stop));
        }
        return sc;
    }
}
