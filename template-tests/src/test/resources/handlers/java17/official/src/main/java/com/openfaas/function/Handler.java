package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import com.openfaas.model.Response;

// The behaviour of the official java17 starter: a fixed greeting, no Content-Type set.
public class Handler extends AbstractHandler {
    public IResponse Handle(IRequest req) {
        Response res = new Response();
        res.setBody("Hello, world!");
        return res;
    }
}
