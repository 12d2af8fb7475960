package dev.s3c.gateway.functions;

import java.util.List;

/** The original product's four sample functions, in its function-body style, created on first start. */
final class SampleFunctions {

    record Sample(String name, String description, String code) {
    }

    static final List<Sample> ALL = List.of(
            new Sample("fibonacci", "Fibonacci calculator: input {\"n\": 20} returns the n-th Fibonacci number", """
                    const n = input && input.n !== undefined ? Number(input.n) : 10;
                    if (!Number.isInteger(n) || n < 0 || n > 1476) {
                      throw new RangeError('input.n must be a whole number from 0 to 1476');
                    }
                    let a = 0, b = 1;
                    for (let i = 0; i < n; i++) {
                      [a, b] = [b, a + b];
                    }
                    return a;
                    """),
            new Sample("reverse-string", "String reverser: input {\"text\": \"hello\"} returns \"olleh\"", """
                    const text = input && input.text !== undefined ? String(input.text) : '';
                    return Array.from(text).reverse().join('');
                    """),
            new Sample("array-sum", "Array sum: input {\"numbers\": [1, 2, 3]} returns 6", """
                    const numbers = input && input.numbers;
                    if (!Array.isArray(numbers)) {
                      throw new TypeError('input.numbers must be an array of numbers');
                    }
                    return numbers.reduce((sum, x) => sum + Number(x), 0);
                    """),
            new Sample("prime-checker", "Prime checker: input {\"number\": 97} returns {\"number\": 97, \"isPrime\": true}", """
                    const n = Number(input && input.number);
                    if (!Number.isSafeInteger(n)) {
                      throw new TypeError('input.number must be a whole number');
                    }
                    let isPrime = n > 1;
                    for (let i = 2; isPrime && i * i <= n; i++) {
                      if (n % i === 0) isPrime = false;
                    }
                    return { number: n, isPrime };
                    """));

    private SampleFunctions() {
    }
}
