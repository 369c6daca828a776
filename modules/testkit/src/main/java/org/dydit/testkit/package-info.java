/** Test helpers shared by every module: the golden fixture folder ({@link org.dydit.testkit.Golden}) and tolerances. */
package org.dydit.testkit;
